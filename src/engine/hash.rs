//! A small, fast hasher for the engine's lookup tables. The keys are Xero
//! ids and store ids, not chosen by an adversary, so the resistance of the
//! standard SipHash to crafted collisions is not needed, and its cost is.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hashing, a word at a time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

const K: u64 = 0x517c_c1b7_2722_0a95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// Folds the high bits (where the last bytes of a key land after the
    /// multiply) into the low bits that pick a bucket.
    #[inline]
    fn finish(&self) -> u64 {
        let h = self.0;
        (h ^ (h >> 32)).wrapping_mul(K) ^ (h >> 29)
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    fn h<T: Hash>(t: T) -> u64 {
        let mut s = FastHasher::default();
        t.hash(&mut s);
        s.finish()
    }

    #[test]
    fn distinguishes_close_keys() {
        assert_ne!(h("abc"), h("abd"));
        assert_ne!(h("0000-1"), h("0000-2"));
        assert_ne!(h((1u32, 2u32)), h((2u32, 1u32)));
        let mut m: FastMap<&str, i32> = FastMap::default();
        m.insert("a", 1);
        m.insert("b", 2);
        assert_eq!(m.get("b"), Some(&2));
    }
}
