//! Hash maps keyed by ids the server hands out itself.
//!
//! Connections, sessions, sources and ports are numbered by the server or
//! its runtime, never chosen by a peer, so their maps need no defence
//! against chosen keys. The standard SipHash costs more than the rest of a
//! lookup on the fan-out path (a lookup per packet per reader), so these
//! maps use a one-multiply hash instead. Maps keyed by anything a peer
//! sends (session id strings, paths) keep the standard hasher.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` for server-assigned integer ids (see the module docs).
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Multiplies each word in: sequential ids spread over every bucket of a
/// power-of-two table (an odd multiplier is a bijection on the low bits)
/// and differ in the top bits the table's control bytes use.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasher {
    hash: u64,
}

/// An odd 64-bit constant with well-mixed bits (from the golden ratio).
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(26) ^ word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.hash
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    fn hash(n: u64) -> u64 {
        BuildHasherDefault::<IdHasher>::default().hash_one(n)
    }

    #[test]
    fn sequential_ids_fill_every_bucket_and_vary_in_the_top_bits() {
        let low: HashSet<u64> = (0..1024).map(|n| hash(n) & 1023).collect();
        assert_eq!(low.len(), 1024, "one id per bucket of a 1024-bucket table");
        let top: HashSet<u64> = (1..1024).map(|n| hash(n) >> 57).collect();
        assert!(top.len() > 100, "{} of 128 control values", top.len());
    }

    #[test]
    fn a_map_of_many_ids_finds_each_of_them() {
        let mut map: IdMap<u64, u64> = IdMap::default();
        for n in 0..10_000 {
            map.insert(n * 3, n);
        }
        assert!((0..10_000).all(|n| map.get(&(n * 3)) == Some(&n)));
        assert_eq!(map.get(&1), None);
    }
}
