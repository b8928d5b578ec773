//! The bundled lists, inflated once on first use and looked up in O(1).
//!
//! - Known-weak JWT secrets: 103,979 HMAC secrets seen in the wild, from
//!   wallarm/jwt-secrets (MIT; notice in `data/LICENSE-wallarm-jwt-secrets`).
//! - Common words ranked by frequency, merged from zxcvbn's frequency lists
//!   (passwords, English Wikipedia, film and TV, names, surnames; MIT; notice in
//!   `data/LICENSE-zxcvbn`).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

static WEAK_DEFLATED: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/wallarm-jwt-secrets.txt.deflate"));
static WORDS_DEFLATED: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/common-words.txt.deflate"));

/// The known-weak secret list.
pub struct WeakSecrets {
    entries: Vec<&'static [u8]>,
    set: HashSet<&'static [u8]>,
}

/// Common words with their frequency rank (1 = most common).
pub struct Words {
    ranks: HashMap<&'static str, u32>,
}

fn inflate(deflated: &[u8]) -> &'static [u8] {
    // The data was compressed by our own build script; if it ever failed to
    // inflate, an empty list makes every lookup miss rather than crash.
    let bytes = miniz_oxide::inflate::decompress_to_vec(deflated).unwrap_or_default();
    // Leaked once per process so that entries can borrow from it for 'static.
    Box::leak(bytes.into_boxed_slice())
}

impl WeakSecrets {
    /// The bundled list (inflated on first call).
    pub fn get() -> &'static WeakSecrets {
        static LIST: OnceLock<WeakSecrets> = OnceLock::new();
        LIST.get_or_init(|| {
            let entries: Vec<&'static [u8]> = inflate(WEAK_DEFLATED)
                .split(|&b| b == b'\n')
                .filter(|line| !line.is_empty())
                .collect();
            let set = entries.iter().copied().collect();
            WeakSecrets { entries, set }
        })
    }

    /// Whether `secret` is on the list, exactly.
    pub fn contains(&self, secret: &[u8]) -> bool {
        self.set.contains(secret)
    }

    /// Every entry, in the list's order (for secret searches).
    pub fn entries(&self) -> &[&'static [u8]] {
        &self.entries
    }

    /// How many entries the list holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty (only if the bundled data failed to inflate).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Words {
    /// The bundled ranked word list (inflated on first call).
    pub fn get() -> &'static Words {
        static WORDS: OnceLock<Words> = OnceLock::new();
        WORDS.get_or_init(|| {
            let text = std::str::from_utf8(inflate(WORDS_DEFLATED)).unwrap_or_default();
            let mut ranks = HashMap::with_capacity(90_000);
            for (rank, word) in (1u32..).zip(text.lines()) {
                ranks.entry(word).or_insert(rank);
            }
            Words { ranks }
        })
    }

    /// The rank of a lower-case word, if it is on the list.
    pub fn rank(&self, lower: &str) -> Option<u32> {
        self.ranks.get(lower).copied()
    }

    /// How many words the list holds.
    pub fn len(&self) -> usize {
        self.ranks.len()
    }

    /// Whether the list is empty (only if the bundled data failed to inflate).
    pub fn is_empty(&self) -> bool {
        self.ranks.is_empty()
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
        assert!(list.contains(b"thisisthesecretkey"));
        assert!(list.contains(b"myJwtSecret"));
        assert!(!list.contains(b"myJwtSecreT-not-on-the-list-4f9a"));
    }

    #[test]
    fn words_are_ranked_by_frequency() {
        let words = Words::get();
        assert!(words.len() > 80_000);
        assert!(words.rank("password").unwrap() < 100);
        assert!(words.rank("secret").unwrap() < 5000);
        assert_eq!(words.rank("zzqxjw"), None);
    }
}
