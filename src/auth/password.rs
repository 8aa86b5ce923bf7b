//! argon2id password hashing (the crate's defaults: Argon2id v19, m=19 MiB,
//! t=2, p=1, as OWASP recommends).

use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// The rule for passwords that people choose.
pub const MIN_LENGTH: usize = 10;
/// The longest password accepted (a bound on what is hashed).
pub const MAX_LENGTH: usize = 1000;
/// Hashes computed at once. Each takes 19 MiB and a core for tens of
/// milliseconds; more at once would only queue on the CPU and let a flood of
/// logins take the memory and the threads that serve pages.
pub const MAX_CONCURRENT_HASHES: usize = 2;

static HASH_SLOTS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(MAX_CONCURRENT_HASHES);
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` (a hash or a check) on tokio's blocking pool, at most
/// [`MAX_CONCURRENT_HASHES`] at a time, so that argon2 never holds a thread
/// that serves requests. `None` if the task could not finish (it panicked).
async fn off_the_request_threads<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    // The semaphore is never closed, so acquiring cannot fail.
    let _slot = HASH_SLOTS.acquire().await.ok()?;
    tokio::task::spawn_blocking(move || {
        let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
        PEAK.fetch_max(now, Ordering::SeqCst);
        let out = f();
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        out
    })
    .await
    .ok()
}

/// The most hashes this process has ever computed at once.
pub fn peak_concurrent_hashes() -> usize {
    PEAK.load(Ordering::SeqCst)
}

/// [`hash`] on the bounded blocking pool.
pub async fn hash_off_thread(password: String) -> Result<String, HashError> {
    off_the_request_threads(move || hash(&password))
        .await
        .unwrap_or(Err(HashError))
}

/// [`verify`] on the bounded blocking pool.
pub async fn verify_off_thread(password: String, stored: String) -> bool {
    off_the_request_threads(move || verify(&password, &stored))
        .await
        .unwrap_or(false)
}

/// [`dummy_verify`] on the bounded blocking pool.
pub async fn dummy_verify_off_thread(password: String) {
    let _ = off_the_request_threads(move || dummy_verify(&password)).await;
}

#[derive(Debug, thiserror::Error)]
#[error("could not hash the password")]
pub struct HashError;

pub fn hash(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| HashError)
}

/// False for a wrong password and for an unreadable stored hash alike.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody has, verified when the e-mail is unknown so
/// that a login takes as long whether or not the account exists.
pub fn dummy_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("not-a-real-password-0000").unwrap_or_default());
    let _ = verify(password, stored);
}

/// Checks a new password against the policy; the message is for the user.
pub fn check_policy(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_LENGTH {
        return Err(format!("Use at least {MIN_LENGTH} characters."));
    }
    if password.chars().count() > MAX_LENGTH {
        return Err(format!("Use at most {MAX_LENGTH} characters."));
    }
    if password.trim().is_empty() {
        return Err("The password cannot be only spaces.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn policy() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("long enough pw").is_ok());
        assert!(check_policy(&"x".repeat(MAX_LENGTH)).is_ok());
        assert!(check_policy(&"x".repeat(MAX_LENGTH + 1)).is_err());
    }

    /// On a single-threaded runtime a ticker keeps ticking while logins are
    /// checked: argon2 runs elsewhere. Had it run on the request thread, the
    /// ticker would stand still for the whole check.
    #[tokio::test(flavor = "current_thread")]
    async fn checks_never_block_the_request_thread() {
        let stored = hash("correct horse battery").unwrap();
        let ticks = std::sync::Arc::new(AtomicUsize::new(0));
        let t = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                t.fetch_add(1, Ordering::SeqCst);
            }
        });
        let started = std::time::Instant::now();
        let mut checks = Vec::new();
        for i in 0..6 {
            let stored = stored.clone();
            checks.push(tokio::spawn(async move {
                if i % 2 == 0 {
                    dummy_verify_off_thread("guess".into()).await;
                    false
                } else {
                    verify_off_thread("correct horse battery".into(), stored).await
                }
            }));
        }
        let mut right = 0;
        for c in checks {
            right += usize::from(c.await.unwrap());
        }
        let took = started.elapsed();
        ticker.abort();
        assert_eq!(right, 3);
        // At least a tick every 10 ms of the checks' time went by.
        let expected = (took.as_millis() / 10) as usize;
        assert!(
            ticks.load(Ordering::SeqCst) >= expected.max(1),
            "{} ticks in {took:?}",
            ticks.load(Ordering::SeqCst)
        );
        assert!(peak_concurrent_hashes() <= MAX_CONCURRENT_HASHES);
        assert!(peak_concurrent_hashes() >= 1);
    }
}
