//! The bundled lists, looked up in O(1) from tables laid out at build time.
//!
//! - Known-weak JWT secrets: 103,979 HMAC secrets seen in the wild, from
//!   wallarm/jwt-secrets (MIT; notice in `data/LICENSE-wallarm-jwt-secrets`).
//! - Common words ranked by frequency, merged from zxcvbn's frequency lists
//!   (passwords, English Wikipedia, film and TV, names, surnames; MIT; notice in
//!   `data/LICENSE-zxcvbn`).

use std::sync::OnceLock;

use super::fingerprint::{fingerprint, home_slot, RANKED_SLOT_BYTES, SET_SLOT_BYTES};

static WEAK_DEFLATED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/weak-secrets.deflate"));
static WEAK_TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/weak-secrets.table"));
static WEAK_COUNT: &str = include_str!(concat!(env!("OUT_DIR"), "/weak-secrets.count"));
static WORDS_TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/common-words.table"));

/// The known-weak secret list.
#[derive(Debug)]
pub struct WeakSecrets {
    _private: (),
}

/// Common words with their frequency rank (1 = most common).
#[derive(Debug)]
pub struct Words {
    _private: (),
}

fn slot(table: &[u8], slot_bytes: usize, index: usize) -> Option<(u64, &[u8])> {
    let bytes = table.get(index * slot_bytes..(index + 1) * slot_bytes)?;
    let (fp, rest) = bytes.split_first_chunk::<8>()?;
    Some((u64::from_le_bytes(*fp), rest))
}

/// Probes `table` for `key`; returns the slot's payload (after the fingerprint).
fn probe<'t>(table: &'t [u8], slot_bytes: usize, key: &[u8]) -> Option<&'t [u8]> {
    let slots = table.len() / slot_bytes;
    if slots == 0 {
        return None;
    }
    let fp = fingerprint(key);
    let mut at = home_slot(fp, slots);
    for _ in 0..slots {
        let (found, payload) = slot(table, slot_bytes, at)?;
        if found == fp {
            return Some(payload);
        }
        if found == 0 {
            return None;
        }
        at = (at + 1) % slots;
    }
    None
}

impl WeakSecrets {
    /// The bundled list.
    pub fn get() -> &'static WeakSecrets {
        static LIST: WeakSecrets = WeakSecrets { _private: () };
        &LIST
    }

    /// Whether `secret` is on the list, exactly.
    pub fn contains(&self, secret: &[u8]) -> bool {
        !secret.is_empty() && probe(WEAK_TABLE, SET_SLOT_BYTES, secret).is_some()
    }

    /// Every entry, in the list's order (for secret searches). Inflated on first call.
    pub fn entries(&self) -> &'static [&'static [u8]] {
        static ENTRIES: OnceLock<Vec<&'static [u8]>> = OnceLock::new();
        ENTRIES.get_or_init(|| {
            // Compressed by our own build script; should it ever fail to
            // inflate, an empty list makes searches find nothing rather than crash.
            let bytes = miniz_oxide::inflate::decompress_to_vec(WEAK_DEFLATED).unwrap_or_default();
            // Leaked once per process so that entries can borrow it for 'static.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .collect()
        })
    }

    /// How many secrets the list holds.
    pub fn len(&self) -> usize {
        WEAK_COUNT.trim().parse().unwrap_or(0)
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Words {
    /// The bundled ranked word list.
    pub fn get() -> &'static Words {
        static WORDS: Words = Words { _private: () };
        &WORDS
    }

    /// The rank of a lower-case word, if it is on the list.
    pub fn rank(&self, lower: &str) -> Option<u32> {
        let payload = probe(WORDS_TABLE, RANKED_SLOT_BYTES, lower.as_bytes())?;
        let rank = payload.first_chunk::<4>()?;
        Some(u32::from_le_bytes(*rank))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_weak_list_is_complete() {
        let list = WeakSecrets::get();
        // 103,979 lines, one of them empty (the empty secret is checked on its own).
        assert_eq!(list.len(), 103_978);
        assert_eq!(list.entries().len(), 103_978);
        assert!(list.contains(b"thisisthesecretkey"));
        assert!(list.contains(b"myJwtSecret"));
        assert!(!list.contains(b"myJwtSecreT-not-on-the-list-4f9a"));
        assert!(!list.contains(b""));
    }

    #[test]
    fn every_listed_secret_is_found() {
        let list = WeakSecrets::get();
        assert!(list.entries().iter().all(|e| list.contains(e)));
    }

    #[test]
    fn words_are_ranked_by_frequency() {
        let words = Words::get();
        assert!(words.rank("password").unwrap() < 100);
        assert!(words.rank("secret").unwrap() < 5000);
        assert!(words.rank("the").unwrap() < words.rank("elephant").unwrap());
        assert_eq!(words.rank("zzqxjw"), None);
    }
}
