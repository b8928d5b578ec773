//! Whole blocks of base64url with AVX2, where the processor has it: 32
//! characters become 24 bytes, and 24 bytes 32 characters, a block at a
//! time (the method of Muła and Lemire, "Faster Base64 Encoding and
//! Decoding Using AVX2 Instructions", 2018, with the URL-safe alphabet).
//!
//! The block functions compute on vector registers only: values go in and
//! out through integers and arrays, never through pointers, so their bodies
//! are safe code. Calling a function compiled for AVX2 is `unsafe` because
//! it would fault on a processor without it; the two calls below are made
//! only after the processor said it has AVX2. Everything the blocks do not
//! cover (short input, the tail, other processors) takes the scalar path,
//! and the tests hold both paths to the base64 crate's answers.
#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m256i, _mm256_add_epi8, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_cmpgt_epi8,
    _mm256_extract_epi64, _mm256_madd_epi16, _mm256_maddubs_epi16, _mm256_movemask_epi8,
    _mm256_mulhi_epu16, _mm256_mullo_epi16, _mm256_or_si256, _mm256_permutevar8x32_epi32,
    _mm256_set1_epi32, _mm256_set1_epi8, _mm256_set_epi64x, _mm256_setr_epi32, _mm256_setr_epi8,
    _mm256_shuffle_epi8,
};

/// Decodes the whole 32-character blocks at the start of `text` into `out`
/// (24 bytes each), returning how many characters were decoded: 0 when the
/// processor lacks AVX2, `None` when a character is outside the alphabet.
pub(super) fn decode_blocks(text: &[u8], out: &mut [u8]) -> Option<usize> {
    if text.len() < 32 || !std::arch::is_x86_feature_detected!("avx2") {
        return Some(0);
    }
    // SAFETY: the processor reported AVX2 just above, which is the only
    // requirement of a `#[target_feature(enable = "avx2")]` function.
    unsafe { decode_avx2(text, out) }
}

/// Encodes the whole 24-byte blocks at the start of `bytes` into `dst` (32
/// characters each), returning how many bytes were encoded (0 when the
/// processor lacks AVX2).
pub(super) fn encode_blocks(bytes: &[u8], dst: &mut [u8]) -> usize {
    if bytes.len() < 24 || !std::arch::is_x86_feature_detected!("avx2") {
        return 0;
    }
    // SAFETY: the processor reported AVX2 just above, which is the only
    // requirement of a `#[target_feature(enable = "avx2")]` function.
    unsafe { encode_avx2(bytes, dst) }
}

/// Eight bytes of `block` from `at`, as a vector lane.
fn lane(block: &[u8], at: usize) -> i64 {
    let mut word = [0u8; 8];
    if let Some(bytes) = block.get(at..at + 8) {
        word.copy_from_slice(bytes);
    }
    i64::from_le_bytes(word)
}

/// Four bytes of `block` from `at`, as a 32-bit vector element.
fn word(block: &[u8], at: usize) -> i32 {
    let mut word = [0u8; 4];
    if let Some(bytes) = block.get(at..at + 4) {
        word.copy_from_slice(bytes);
    }
    i32::from_le_bytes(word)
}

/// The low `N` bytes of `v`, in memory order.
#[target_feature(enable = "avx2")]
fn bytes_of<const N: usize>(v: __m256i) -> [u8; N] {
    let mut out = [0u8; N];
    let words = [
        _mm256_extract_epi64::<0>(v),
        _mm256_extract_epi64::<1>(v),
        _mm256_extract_epi64::<2>(v),
        _mm256_extract_epi64::<3>(v),
    ];
    for (chunk, word) in out.chunks_mut(8).zip(words) {
        for (slot, byte) in chunk.iter_mut().zip(word.to_le_bytes()) {
            *slot = byte;
        }
    }
    out
}

/// Each character's six-bit value, and a mask of the characters that are
/// in the alphabet.
#[target_feature(enable = "avx2")]
#[allow(
    clippy::cast_possible_wrap,
    reason = "ASCII bounds and offsets, all within i8"
)]
fn sextets(c: __m256i) -> (__m256i, __m256i) {
    let between = |lo: u8, hi: u8| {
        _mm256_and_si256(
            _mm256_cmpgt_epi8(c, _mm256_set1_epi8(lo as i8 - 1)),
            _mm256_cmpgt_epi8(_mm256_set1_epi8(hi as i8 + 1), c),
        )
    };
    // Bytes from 0x80 up are negative as i8, so no range takes them.
    let upper = between(b'A', b'Z');
    let lower = between(b'a', b'z');
    let digit = between(b'0', b'9');
    let dash = _mm256_cmpeq_epi8(c, _mm256_set1_epi8(b'-' as i8));
    let underscore = _mm256_cmpeq_epi8(c, _mm256_set1_epi8(b'_' as i8));
    // What to add to each kind of character to get its value.
    let offset = _mm256_or_si256(
        _mm256_or_si256(
            _mm256_and_si256(upper, _mm256_set1_epi8(-65)),
            _mm256_and_si256(lower, _mm256_set1_epi8(-71)),
        ),
        _mm256_or_si256(
            _mm256_and_si256(digit, _mm256_set1_epi8(4)),
            _mm256_or_si256(
                _mm256_and_si256(dash, _mm256_set1_epi8(17)),
                _mm256_and_si256(underscore, _mm256_set1_epi8(-32)),
            ),
        ),
    );
    let valid = _mm256_or_si256(
        _mm256_or_si256(upper, lower),
        _mm256_or_si256(digit, _mm256_or_si256(dash, underscore)),
    );
    (_mm256_add_epi8(c, offset), valid)
}

#[target_feature(enable = "avx2")]
fn decode_avx2(text: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut valid = _mm256_set1_epi8(-1);
    let mut done = 0;
    let (blocks, _) = text.as_chunks::<32>();
    let (outs, _) = out.as_chunks_mut::<24>();
    for (block, out) in blocks.iter().zip(outs.iter_mut()) {
        let chars = _mm256_set_epi64x(
            lane(block, 24),
            lane(block, 16),
            lane(block, 8),
            lane(block, 0),
        );
        let (values, ok) = sextets(chars);
        valid = _mm256_and_si256(valid, ok);
        // Pairs of six bits into twelve (a·64 + b), pairs of those into
        // twenty-four (ab·4096 + cd), then the three bytes of each 32-bit
        // element in big-endian order, packed to the front.
        let twelve = _mm256_maddubs_epi16(values, _mm256_set1_epi32(0x0140_0140));
        let twenty_four = _mm256_madd_epi16(twelve, _mm256_set1_epi32(0x0001_1000));
        let ordered = _mm256_shuffle_epi8(
            twenty_four,
            _mm256_setr_epi8(
                2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5, 4, 10, 9, 8,
                14, 13, 12, -1, -1, -1, -1,
            ),
        );
        let packed =
            _mm256_permutevar8x32_epi32(ordered, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7));
        *out = bytes_of::<24>(packed);
        done += 32;
    }
    (_mm256_movemask_epi8(valid) == -1).then_some(done)
}

#[target_feature(enable = "avx2")]
fn encode_avx2(bytes: &[u8], dst: &mut [u8]) -> usize {
    let mut done = 0;
    let (blocks, _) = bytes.as_chunks::<24>();
    let (outs, _) = dst.as_chunks_mut::<32>();
    for (block, out) in blocks.iter().zip(outs.iter_mut()) {
        // Twelve bytes in each 128-bit half, then each group of three as
        // [b1, b0, b2, b1] in a 32-bit element.
        let input = _mm256_setr_epi32(
            word(block, 0),
            word(block, 4),
            word(block, 8),
            0,
            word(block, 12),
            word(block, 16),
            word(block, 20),
            0,
        );
        let spread = _mm256_shuffle_epi8(
            input,
            _mm256_setr_epi8(
                1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10, 1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8,
                7, 10, 9, 11, 10,
            ),
        );
        // The four six-bit values of each group into its four bytes: the
        // first and third by a high multiply, the second and fourth by a
        // low one.
        let first_third = _mm256_mulhi_epu16(
            _mm256_and_si256(spread, _mm256_set1_epi32(0x0FC0_FC00)),
            _mm256_set1_epi32(0x0400_0040),
        );
        let second_fourth = _mm256_mullo_epi16(
            _mm256_and_si256(spread, _mm256_set1_epi32(0x003F_03F0)),
            _mm256_set1_epi32(0x0100_0010),
        );
        let values = _mm256_or_si256(first_third, second_fourth);
        *out = bytes_of::<32>(_mm256_add_epi8(values, symbol_offsets(values)));
        done += 24;
    }
    done
}

/// What to add to each six-bit value to get its base64url character:
/// 'A' for 0–25, then +6 ('a' − 26) from 26, −75 ('0' − 52) from 52, −13
/// ('-' − 62) from 62 and +49 ('_' − 63) at 63, summed.
#[target_feature(enable = "avx2")]
fn symbol_offsets(values: __m256i) -> __m256i {
    let above = |bound: i8, delta: i8| {
        _mm256_and_si256(
            _mm256_cmpgt_epi8(values, _mm256_set1_epi8(bound)),
            _mm256_set1_epi8(delta),
        )
    };
    let mut offset = _mm256_set1_epi8(65);
    for (bound, delta) in [(25, 6), (51, -75), (61, -13), (62, 49)] {
        offset = _mm256_add_epi8(offset, above(bound, delta));
    }
    offset
}
