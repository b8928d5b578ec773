//! HMAC-SHA256 for the secret search on x86-64 CPUs with the SHA extensions
//! (SHA-NI), several candidates at a time.
//!
//! Why this exists beside the portable path: one SHA-256 compression on
//! SHA-NI is a chain of 32 dependent `sha256rnds2` instructions, so a single
//! candidate leaves the unit idle most of the time. Interleaving [`LANES`]
//! independent candidates fills it; the message blocks that do not depend on
//! the candidate (the token's signing input) have their schedule computed
//! once per token instead of once per candidate.
//!
//! This is the only module of jwtkeep with `unsafe`: calling a function
//! compiled for CPU features the caller was not compiled for. Each call site
//! says why the CPU has them. The instructions themselves take no pointers.

#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_extract_epi32, _mm_set_epi32,
    _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32, _mm_shuffle_epi32,
};

/// Candidates processed together.
pub(super) const LANES: usize = super::target::LANES;
use super::target::SHA256_IV;

/// SHA-256's round constants.
const K: [u32; 64] = [
    0x428a_2f98,
    0x7137_4491,
    0xb5c0_fbcf,
    0xe9b5_dba5,
    0x3956_c25b,
    0x59f1_11f1,
    0x923f_82a4,
    0xab1c_5ed5,
    0xd807_aa98,
    0x1283_5b01,
    0x2431_85be,
    0x550c_7dc3,
    0x72be_5d74,
    0x80de_b1fe,
    0x9bdc_06a7,
    0xc19b_f174,
    0xe49b_69c1,
    0xefbe_4786,
    0x0fc1_9dc6,
    0x240c_a1cc,
    0x2de9_2c6f,
    0x4a74_84aa,
    0x5cb0_a9dc,
    0x76f9_88da,
    0x983e_5152,
    0xa831_c66d,
    0xb003_27c8,
    0xbf59_7fc7,
    0xc6e0_0bf3,
    0xd5a7_9147,
    0x06ca_6351,
    0x1429_2967,
    0x27b7_0a85,
    0x2e1b_2138,
    0x4d2c_6dfc,
    0x5338_0d13,
    0x650a_7354,
    0x766a_0abb,
    0x81c2_c92e,
    0x9272_2c85,
    0xa2bf_e8a1,
    0xa81a_664b,
    0xc24b_8b70,
    0xc76c_51a3,
    0xd192_e819,
    0xd699_0624,
    0xf40e_3585,
    0x106a_a070,
    0x19a4_c116,
    0x1e37_6c08,
    0x2748_774c,
    0x34b0_bcb5,
    0x391c_0cb3,
    0x4ed8_aa4a,
    0x5b9c_ca4f,
    0x682e_6ff3,
    0x748f_82ee,
    0x78a5_636f,
    0x84c8_7814,
    0x8cc7_0208,
    0x90be_fffa,
    0xa450_6ceb,
    0xbef9_a3f7,
    0xc671_78f2,
];

/// Whether this CPU can run this module's code.
pub(super) fn available() -> bool {
    std::is_x86_feature_detected!("sha")
        && std::is_x86_feature_detected!("sse4.1")
        && std::is_x86_feature_detected!("ssse3")
}

/// A block's message schedule with the round constants added: 16 groups of
/// four words, ready for the rounds.
#[derive(Clone, Copy)]
pub(super) struct Schedule([__m128i; 16]);

/// The 16 words of a block, big-endian words already read.
pub(super) type Words = [u32; 16];

/// The constant part of one token's HMAC-SHA256: the schedules of the
/// signing input's padded blocks, and the outer block's padding words.
pub(super) struct Prepared {
    inner_tail: Vec<Schedule>,
    /// The MAC as eight state words.
    expected: [u32; 8],
}

/// The state as the SHA instructions hold it: (ABEF, CDGH).
#[derive(Clone, Copy)]
struct State(__m128i, __m128i);

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn group(w: [u32; 4]) -> __m128i {
    // _mm_set_epi32 takes the highest lane first.
    _mm_set_epi32(
        w[3].cast_signed(),
        w[2].cast_signed(),
        w[1].cast_signed(),
        w[0].cast_signed(),
    )
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn lanes(v: __m128i) -> [u32; 4] {
    [
        _mm_extract_epi32::<0>(v).cast_unsigned(),
        _mm_extract_epi32::<1>(v).cast_unsigned(),
        _mm_extract_epi32::<2>(v).cast_unsigned(),
        _mm_extract_epi32::<3>(v).cast_unsigned(),
    ]
}

/// The message schedule of `block` plus the round constants.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn schedule_of(block: &Words) -> [__m128i; 16] {
    let mut w = [group([0; 4]); 16];
    for (i, chunk) in block.chunks_exact(4).enumerate().take(4) {
        if let (Some(slot), [a, b, c, d]) = (w.get_mut(i), chunk) {
            *slot = group([*a, *b, *c, *d]);
        }
    }
    for i in 4..16 {
        // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], four at a time.
        let (Some(&w16), Some(&w12), Some(&w8), Some(&w4)) =
            (w.get(i - 4), w.get(i - 3), w.get(i - 2), w.get(i - 1))
        else {
            continue;
        };
        let partial = _mm_add_epi32(_mm_sha256msg1_epu32(w16, w12), _mm_alignr_epi8::<4>(w4, w8));
        if let Some(slot) = w.get_mut(i) {
            *slot = _mm_sha256msg2_epu32(partial, w4);
        }
    }
    for (slot, k) in w.iter_mut().zip(K.chunks_exact(4)) {
        if let [a, b, c, d] = k {
            *slot = _mm_add_epi32(*slot, group([*a, *b, *c, *d]));
        }
    }
    w
}

/// Four rounds for every lane, interleaved so that the lanes' dependency
/// chains overlap.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn rounds(states: &mut [State; LANES], wk: [__m128i; LANES]) {
    for (s, wk) in states.iter_mut().zip(wk) {
        s.1 = _mm_sha256rnds2_epu32(s.1, s.0, wk);
    }
    for (s, wk) in states.iter_mut().zip(wk) {
        s.0 = _mm_sha256rnds2_epu32(s.0, s.1, _mm_shuffle_epi32::<0x0E>(wk));
    }
}

/// Compresses one block per lane, each with its own message.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn compress_words(states: &mut [State; LANES], blocks: &[Words; LANES]) {
    let saved = *states;
    let schedules = blocks.map(|b| schedule_of(&b));
    for g in 0..16 {
        let mut wk = [group([0; 4]); LANES];
        for (slot, schedule) in wk.iter_mut().zip(&schedules) {
            if let Some(v) = schedule.get(g) {
                *slot = *v;
            }
        }
        rounds(states, wk);
    }
    for (s, old) in states.iter_mut().zip(saved) {
        *s = State(_mm_add_epi32(s.0, old.0), _mm_add_epi32(s.1, old.1));
    }
}

/// Compresses the same prepared block in every lane.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn compress_scheduled(states: &mut [State; LANES], schedule: &Schedule) {
    let saved = *states;
    for g in schedule.0 {
        rounds(states, [g; LANES]);
    }
    for (s, old) in states.iter_mut().zip(saved) {
        *s = State(_mm_add_epi32(s.0, old.0), _mm_add_epi32(s.1, old.1));
    }
}

/// The SHA-256 state (a..h) in the instructions' layout.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn to_state(h: [u32; 8]) -> State {
    State(
        group([h[5], h[4], h[1], h[0]]),
        group([h[7], h[6], h[3], h[2]]),
    )
}

/// The state words a..h back from the instructions' layout.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn from_state(s: State) -> [u32; 8] {
    let [f, e, b, a] = lanes(s.0);
    let [h, g, d, c] = lanes(s.1);
    [a, b, c, d, e, f, g, h]
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn prepare_inner(blocks: &[Words]) -> Vec<Schedule> {
    blocks.iter().map(|b| Schedule(schedule_of(b))).collect()
}

/// HMAC-SHA256 of the prepared message under [`LANES`] keys of at most 64
/// bytes (given as key blocks, zero-padded); whether each lane's MAC matches.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn matches_lanes(prep: &Prepared, keys: &[Words; LANES]) -> [bool; LANES] {
    let pad = |x: u32| keys.map(|k| k.map(|w| w ^ x));
    let mut inner = [to_state(SHA256_IV); LANES];
    compress_words(&mut inner, &pad(0x3636_3636));
    for schedule in &prep.inner_tail {
        compress_scheduled(&mut inner, schedule);
    }
    let mut outer = [to_state(SHA256_IV); LANES];
    compress_words(&mut outer, &pad(0x5c5c_5c5c));
    let last = inner.map(|s| {
        let d = from_state(s);
        // The inner digest, then 0x80, zeros and the length: (64 + 32) * 8 bits.
        [
            d[0],
            d[1],
            d[2],
            d[3],
            d[4],
            d[5],
            d[6],
            d[7],
            0x8000_0000,
            0,
            0,
            0,
            0,
            0,
            0,
            768,
        ]
    });
    compress_words(&mut outer, &last);
    outer.map(|s| from_state(s) == prep.expected)
}

impl Prepared {
    /// Prepares the signing input's padded blocks (after the 64-byte key
    /// block) and the expected MAC. Only call when [`available`] said yes.
    pub(super) fn new(inner_tail: &[[u8; 64]], expected: [u32; 8]) -> Prepared {
        let blocks: Vec<Words> = inner_tail.iter().map(words_of).collect();
        // SAFETY: `Prepared` is only built after `available()` found the SHA
        // extensions, SSE4.1 and SSSE3 on this CPU (see `target.rs`).
        let inner_tail = unsafe { prepare_inner(&blocks) };
        Prepared {
            inner_tail,
            expected,
        }
    }

    /// Whether each key (at most 64 bytes; longer keys take the portable
    /// path) produces the expected MAC.
    pub(super) fn matches(&self, keys: &[&[u8]; LANES]) -> [bool; LANES] {
        let blocks = keys.map(|k| {
            let mut block = [0u8; 64];
            if let Some(start) = block.get_mut(..k.len()) {
                start.copy_from_slice(k);
            }
            words_of(&block)
        });
        // SAFETY: a `Prepared` exists only where `available()` found the SHA
        // extensions, SSE4.1 and SSSE3 on this CPU.
        unsafe { matches_lanes(self, &blocks) }
    }
}

/// A 64-byte block as 16 big-endian words.
pub(super) fn words_of(block: &[u8; 64]) -> Words {
    let mut words = [0u32; 16];
    for (w, chunk) in words.iter_mut().zip(block.chunks_exact(4)) {
        if let [a, b, c, d] = chunk {
            *w = u32::from_be_bytes([*a, *b, *c, *d]);
        }
    }
    words
}
