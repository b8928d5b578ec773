//! Prepares the bundled word lists: each list is compressed (for iteration,
//! inflated on demand) and laid out as an open-addressing table of 64-bit
//! fingerprints (for O(1) lookups with no start-up cost).

// Runs at build time over our own data files: a panic here fails the build,
// which is the right outcome for a broken list.
#![allow(clippy::indexing_slicing)]

use std::collections::HashMap;
use std::path::Path;
use std::{env, fs};

#[path = "src/strength/fingerprint.rs"]
#[allow(dead_code)]
mod fingerprint;

use fingerprint::{fingerprint, home_slot, RANKED_SLOT_BYTES, SET_SLOT_BYTES};

/// How many slots a table for `entries` entries has (load factor about 2/3).
fn slot_count(entries: usize) -> usize {
    entries * 3 / 2 + 1
}

fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&b| b == b'\n').filter(|l| !l.is_empty())
}

/// Places each fingerprint in the first free slot from its home slot.
fn place(fps: &[u64], slot_bytes: usize, write: impl Fn(&mut [u8], usize)) -> Vec<u8> {
    let slots = slot_count(fps.len());
    let mut table = vec![0u8; slots * slot_bytes];
    let mut used = vec![false; slots];
    for (i, &fp) in fps.iter().enumerate() {
        let mut at = home_slot(fp, slots);
        while used[at] {
            at = (at + 1) % slots;
        }
        used[at] = true;
        write(&mut table[at * slot_bytes..(at + 1) * slot_bytes], i);
    }
    table
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    #[allow(clippy::disallowed_methods)] // cargo hands build scripts their output directory here
    let out_dir = env::var("OUT_DIR")?;
    let out = Path::new(&out_dir);
    println!("cargo:rerun-if-changed=src/strength/fingerprint.rs");

    let weak_path = Path::new("data/wallarm-jwt-secrets.txt");
    println!("cargo:rerun-if-changed={}", weak_path.display());
    let weak = fs::read(weak_path)?;
    fs::write(
        out.join("weak-secrets.deflate"),
        miniz_oxide::deflate::compress_to_vec(&weak, 9),
    )?;
    let mut fps: Vec<u64> = lines(&weak).map(fingerprint).collect();
    fps.sort_unstable();
    fps.dedup();
    let table = place(&fps, SET_SLOT_BYTES, |slot, i| {
        slot.copy_from_slice(&fps[i].to_le_bytes());
    });
    fs::write(out.join("weak-secrets.table"), table)?;
    fs::write(
        out.join("weak-secrets.count"),
        lines(&weak).count().to_string(),
    )?;

    let words_path = Path::new("data/common-words.txt");
    println!("cargo:rerun-if-changed={}", words_path.display());
    let words = fs::read(words_path)?;
    let mut ranks: HashMap<u64, u32> = HashMap::new();
    for (rank, word) in (1u32..).zip(lines(&words)) {
        ranks.entry(fingerprint(word)).or_insert(rank);
    }
    let mut entries: Vec<(u64, u32)> = ranks.into_iter().collect();
    entries.sort_unstable();
    let fps: Vec<u64> = entries.iter().map(|e| e.0).collect();
    let table = place(&fps, RANKED_SLOT_BYTES, |slot, i| {
        slot[..8].copy_from_slice(&entries[i].0.to_le_bytes());
        slot[8..].copy_from_slice(&entries[i].1.to_le_bytes());
    });
    fs::write(out.join("common-words.table"), table)?;
    Ok(())
}
