//! Encryption at rest for Xero tokens: AES-256-GCM under keys derived from
//! `CONSOL_SECRET_KEY`. Each ciphertext names the key that made it, so the
//! key can be rotated: set the new key as `CONSOL_SECRET_KEY` and the old one
//! in `CONSOL_SECRET_KEY_PREVIOUS`; old rows still decrypt and are
//! re-encrypted under the new key the next time they are written.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use sha2::{Digest, Sha256};

const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the encrypted value is damaged or was made with an unknown key")]
    Undecryptable,
    #[error("the encrypted value has an unknown format")]
    Format,
}

struct KeyEntry {
    id: [u8; KEY_ID_LEN],
    cipher: Aes256Gcm,
}

/// The current key first, then earlier keys that may still decrypt.
pub struct Keyring {
    keys: Vec<KeyEntry>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keyring({} keys, [redacted])", self.keys.len())
    }
}

fn entry(secret: &str) -> KeyEntry {
    let material = Sha256::new()
        .chain_update(b"consol token encryption v1\0")
        .chain_update(secret.as_bytes())
        .finalize();
    let id_hash = Sha256::new()
        .chain_update(b"consol key id\0")
        .chain_update(secret.as_bytes())
        .finalize();
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&id_hash[..KEY_ID_LEN]);
    let key: &Key<Aes256Gcm> = material.as_slice().try_into().expect("SHA-256 is 32 bytes");
    KeyEntry {
        id,
        cipher: Aes256Gcm::new(key),
    }
}

impl Keyring {
    pub fn new(current: &str, previous: &[&str]) -> Self {
        let mut keys = vec![entry(current)];
        keys.extend(previous.iter().map(|p| entry(p)));
        Self { keys }
    }

    /// `purpose` is bound in as associated data, so a ciphertext made for
    /// one use cannot be passed off as another.
    pub fn encrypt(&self, purpose: &str, plaintext: &[u8]) -> Vec<u8> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system's random source failed");
        let ct = key
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: purpose.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(1 + KEY_ID_LEN + NONCE_LEN + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&key.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn decrypt(&self, purpose: &str, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if data.len() < 1 + KEY_ID_LEN + NONCE_LEN || data[0] != VERSION {
            return Err(CryptoError::Format);
        }
        let id = &data[1..1 + KEY_ID_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&data[1 + KEY_ID_LEN..1 + KEY_ID_LEN + NONCE_LEN]);
        let ct = &data[1 + KEY_ID_LEN + NONCE_LEN..];
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or(CryptoError::Undecryptable)?;
        key.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ct,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Undecryptable)
    }

    /// Whether `data` was made with the current key (else re-encrypt it).
    pub fn is_current(&self, data: &[u8]) -> bool {
        data.get(1..1 + KEY_ID_LEN) == Some(&self.keys[0].id[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let k = Keyring::new("a key of at least thirty-two chars!!", &[]);
        let c = k.encrypt("xero-token-set", b"refresh-token-value");
        assert!(
            !c.windows(7).any(|w| w == b"refresh"),
            "no plaintext in ciphertext"
        );
        assert_eq!(
            k.decrypt("xero-token-set", &c).unwrap(),
            b"refresh-token-value"
        );
        assert_eq!(
            k.decrypt("other-purpose", &c),
            Err(CryptoError::Undecryptable)
        );
        let mut bad = c.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(
            k.decrypt("xero-token-set", &bad),
            Err(CryptoError::Undecryptable)
        );
        assert_eq!(k.decrypt("xero-token-set", b"x"), Err(CryptoError::Format));
        assert_ne!(
            k.encrypt("p", b"same"),
            k.encrypt("p", b"same"),
            "fresh nonces"
        );
    }

    #[test]
    fn rotation() {
        let old = Keyring::new("the old key, thirty-two characters", &[]);
        let c = old.encrypt("p", b"secret");
        let new = Keyring::new(
            "the new key, thirty-two characters",
            &["the old key, thirty-two characters"],
        );
        assert_eq!(new.decrypt("p", &c).unwrap(), b"secret");
        assert!(!new.is_current(&c));
        assert!(new.is_current(&new.encrypt("p", b"secret")));
        let wrong = Keyring::new("an unrelated key, thirty-two chars", &[]);
        assert_eq!(wrong.decrypt("p", &c), Err(CryptoError::Undecryptable));
    }
}
