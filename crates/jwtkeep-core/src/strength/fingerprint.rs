//! The 64-bit fingerprint and table layout shared by the build script, which
//! lays out the bundled lists as open-addressing hash tables, and the lookups
//! that read them. Not cryptographic: a collision can only make a lookup claim
//! a match, which is a false "weak", never a missed one.

/// Bytes of one slot of a set table: the fingerprint, little-endian (0 = empty).
pub(crate) const SET_SLOT_BYTES: usize = 8;
/// Bytes of one slot of a ranked table: fingerprint (8) and rank (4), little-endian.
pub(crate) const RANKED_SLOT_BYTES: usize = 12;

/// FNV-1a over `bytes`, finished with the SplitMix64 mixer so that every bit of
/// the result depends on every input bit. Never 0, which marks an empty slot.
pub(crate) fn fingerprint(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^= hash >> 30;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^= hash >> 27;
    hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^= hash >> 31;
    hash.max(1)
}

/// The first slot to probe for `fp` in a table of `slots` slots.
pub(crate) fn home_slot(fp: u64, slots: usize) -> usize {
    // `slots` fits in u64 and the remainder is below it, so it fits back in usize.
    usize::try_from(fp % slots as u64).unwrap_or(0)
}
