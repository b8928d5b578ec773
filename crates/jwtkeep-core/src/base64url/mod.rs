//! Strict base64url decoding of token segments (RFC 7515 §2): the URL-safe
//! alphabet only, no padding, no whitespace, no stray trailing bits; and the
//! encoding that signing appends to every token.
//!
//! Every verification decodes the signature and the payload, so this sits on
//! the hot path. Four tables hold each character's six bits already shifted
//! to its place in a group of four, so a group becomes three bytes with four
//! loads and three ORs; a character outside the alphabet sets a high bit that
//! no valid group can set, and one accumulated check at the end refuses it.
//! This is the core's one base64url encoder (JWK members, headers, tokens);
//! the `base64` crate's general engine (configurable alphabets and padding)
//! is the tests' reference and decodes the same inputs to the same outputs.
//! (An AVX2 path once decoded 32-character blocks with vector instructions:
//! it saved about 60 ns of an 11.8 µs RS256 verification, well under 1%,
//! and was removed: no `unsafe` in the component that decides trust.)

/// Set in a table entry for a byte outside the alphabet; valid entries only
/// ever occupy the low 24 bits.
const INVALID: u32 = 0xFF00_0000;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The six-bit value of each base64url character, shifted left by `shift`.
#[allow(
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "evaluated at compile time only: an out-of-range index fails the build"
)]
const fn table(shift: u32) -> [u32; 256] {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        t[ALPHABET[i] as usize] = (i as u32) << shift;
        i += 1;
    }
    t
}

static FIRST: [u32; 256] = table(18);
static SECOND: [u32; 256] = table(12);
static THIRD: [u32; 256] = table(6);
static FOURTH: [u32; 256] = table(0);

#[inline(always)]
fn look(table: &[u32; 256], c: u8) -> u32 {
    // Never out of range: a u8 indexes a 256-entry table.
    table.get(usize::from(c)).copied().unwrap_or(INVALID)
}

/// How many bytes `len` characters decode to, or `None` for a length no
/// unpadded base64url text has (one character past a whole group).
pub(crate) fn decoded_len(len: usize) -> Option<usize> {
    match len % 4 {
        1 => None,
        0 => Some(len / 4 * 3),
        rest => Some(len / 4 * 3 + rest - 1),
    }
}

/// Decodes `text` into the start of `out`, returning the decoded length, or
/// `None` when the text is not strict base64url or `out` is too small.
pub(crate) fn decode_into(text: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = decoded_len(text.len())?;
    decode_exact(text, out.get_mut(..len)?)?;
    Some(len)
}

/// [`decode_into`], into an `out` of exactly the decoded length.
fn decode_exact(text: &[u8], out: &mut [u8]) -> Option<()> {
    let mut seen = 0u32;
    // Two groups at a time: eight characters, six bytes, fewer stores. The
    // output holds as many whole six-byte chunks as the text has eight-character
    // ones (what is left of it decodes to fewer than six bytes).
    let (pairs, rest) = text.as_chunks::<8>();
    let (sixes, out_rest) = out.as_chunks_mut::<6>();
    for (&[a, b, c, d, e, f, g, h], six) in pairs.iter().zip(sixes.iter_mut()) {
        let v = look(&FIRST, a) | look(&SECOND, b) | look(&THIRD, c) | look(&FOURTH, d);
        let w = look(&FIRST, e) | look(&SECOND, f) | look(&THIRD, g) | look(&FOURTH, h);
        seen |= v | w;
        let bytes = (u64::from(v) << 24 | u64::from(w)).to_be_bytes();
        if let Some(last) = bytes.last_chunk::<6>() {
            *six = *last;
        }
    }
    let (groups, tail) = rest.as_chunks::<4>();
    let (triples, out_tail) = out_rest.as_chunks_mut::<3>();
    for (&[a, b, c, d], triple) in groups.iter().zip(triples.iter_mut()) {
        let v = look(&FIRST, a) | look(&SECOND, b) | look(&THIRD, c) | look(&FOURTH, d);
        seen |= v;
        let [_, x, y, z] = v.to_be_bytes();
        *triple = [x, y, z];
    }
    // The last one to three characters: their unused low bits must be zero.
    let (v, stray_bits) = match *tail {
        [] => (0, 0),
        [a, b] => (look(&FIRST, a) | look(&SECOND, b), 0xFFFF),
        [a, b, c] => (look(&FIRST, a) | look(&SECOND, b) | look(&THIRD, c), 0xFF),
        _ => return None,
    };
    if (seen | v) & INVALID != 0 || v & stray_bits != 0 {
        return None;
    }
    let [_, x, y, _] = v.to_be_bytes();
    for (slot, byte) in out_tail.iter_mut().zip([x, y]) {
        *slot = byte;
    }
    Some(())
}

/// How many characters `len` bytes encode to, unpadded.
pub(crate) fn encoded_len(len: usize) -> usize {
    len / 3 * 4 + [0, 2, 3].get(len % 3).copied().unwrap_or(0)
}

/// The character for the low six bits of `v`.
#[inline(always)]
#[allow(
    clippy::cast_possible_truncation,
    reason = "masked to six bits, so always below 64"
)]
fn symbol(v: u64) -> u8 {
    ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'A')
}

/// Appends `bytes` to `out` as unpadded base64url, written where it belongs
/// in `out` with no intermediate buffer: what signing appends to every token.
pub(crate) fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + encoded_len(bytes.len()), 0);
    if let Some(dst) = out.get_mut(start..) {
        encode_to(bytes, dst);
    }
}

/// Encodes `bytes` into `dst`, which holds exactly `encoded_len(bytes.len())`
/// characters: six bytes become eight characters at a time, each six read
/// as one eight-byte load while at least eight remain.
pub(crate) fn encode_to(bytes: &[u8], dst: &mut [u8]) {
    // Each eight-byte window starts six bytes after the last.
    let whole = bytes.len().saturating_sub(2) / 6;
    let Some((head, tail)) = dst.split_at_mut_checked(whole * 8) else {
        return;
    };
    for (window, eight) in bytes.windows(8).step_by(6).zip(head.as_chunks_mut::<8>().0) {
        let Ok(word) = <[u8; 8]>::try_from(window) else {
            break;
        };
        let v = u64::from_be_bytes(word);
        *eight = [
            symbol(v >> 58),
            symbol(v >> 52),
            symbol(v >> 46),
            symbol(v >> 40),
            symbol(v >> 34),
            symbol(v >> 28),
            symbol(v >> 22),
            symbol(v >> 16),
        ];
    }
    let (src, dst) = (bytes.get(whole * 6..).unwrap_or_default(), tail);
    // Fewer than eight bytes remain: one to three groups of up to three.
    for (group, quad) in src.chunks(3).zip(dst.chunks_mut(4)) {
        let mut padded = [0u8; 4];
        for (slot, byte) in padded.iter_mut().zip(group) {
            *slot = *byte;
        }
        let v = u64::from(u32::from_be_bytes(padded)) << 32;
        for (i, slot) in (0u32..).zip(quad.iter_mut()) {
            *slot = symbol(v >> (58 - 6 * i));
        }
    }
}

/// `bytes` as a new unpadded base64url string.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(encoded_len(bytes.len()));
    encode_into(bytes, &mut out);
    // Every byte written is from the ASCII alphabet.
    String::from_utf8(out).unwrap_or_default()
}

/// Decodes `text` into a new vector.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0; decoded_len(text.len())?];
    decode_into(text, &mut out)?;
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::encoding::BASE64URL;
    use base64::Engine as _;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert_eq!(decode(b"").unwrap(), b"");
        assert_eq!(decode(b"Zg").unwrap(), b"f");
        assert_eq!(decode(b"Zm8").unwrap(), b"fo");
        assert_eq!(decode(b"Zm9v").unwrap(), b"foo");
        assert_eq!(decode(b"-_-_").unwrap(), [0xfb, 0xff, 0xbf]);
        // RFC 7515 A.1's protected header.
        assert_eq!(
            decode(b"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9").unwrap(),
            b"{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"
        );
    }

    #[test]
    fn refuses_what_jose_forbids() {
        for bad in [
            &b"Z"[..],   // a lone character carries no byte
            b"Zh",       // stray bits in the last character
            b"Zm9",      // stray bits again
            b"Zg==",     // padding
            b"Zm9v+g",   // the standard alphabet
            b"Zm9v/g",   // the standard alphabet
            b"Zm 9v",    // whitespace
            b"Zm9v\nZg", // a line break
            b"Zm9\x80",  // not ASCII
        ] {
            assert_eq!(decode(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    /// Every byte value, in every lane of a vector block and in the tail.
    #[test]
    fn every_byte_is_judged_as_the_base64_crate_judges_it() {
        let valid = BASE64URL
            .encode((0u8..=98).collect::<Vec<u8>>())
            .into_bytes();
        assert_eq!(valid.len(), 132);
        for at in 0..valid.len() {
            for byte in 0..=255u8 {
                let mut text = valid.clone();
                text[at] = byte;
                assert_eq!(
                    decode(&text),
                    BASE64URL.decode(&text).ok(),
                    "byte {byte:#04x} at {at}"
                );
            }
        }
    }

    #[test]
    fn refuses_an_output_too_small() {
        let mut out = [0u8; 2];
        assert_eq!(decode_into(b"Zm9v", &mut out), None);
    }

    proptest! {
        /// Same answers as the general engine, on valid and invalid text.
        #[test]
        fn agrees_with_the_base64_crate(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let text = BASE64URL.encode(&bytes);
            prop_assert_eq!(decode(text.as_bytes()), Some(bytes));
        }

        /// Encoding: the general engine's text, appended after what `out` held.
        #[test]
        fn encodes_as_the_base64_crate_does(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            before in "[a-z.]{0,5}",
        ) {
            let expected = BASE64URL.encode(&bytes);
            let mut out = before.clone().into_bytes();
            encode_into(&bytes, &mut out);
            prop_assert_eq!(out, format!("{before}{expected}").into_bytes());
            prop_assert_eq!(encoded_len(bytes.len()), expected.len());
            prop_assert_eq!(encode(&bytes), expected);
        }

        /// Valid text of any length, with one character possibly replaced by any byte.
        #[test]
        fn flawed_text_is_judged_as_the_base64_crate_judges_it(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            flaw in proptest::option::of((any::<proptest::sample::Index>(), any::<u8>())),
        ) {
            let mut text = BASE64URL.encode(&bytes).into_bytes();
            if let (Some((at, byte)), false) = (flaw, text.is_empty()) {
                let at = at.index(text.len());
                text[at] = byte;
            }
            let expected = BASE64URL.decode(&text).ok();
            prop_assert_eq!(&decode(&text), &expected);
            let exact = decoded_len(text.len()).and_then(|len| {
                let mut out = vec![0; len];
                decode_exact(&text, &mut out).map(|()| out)
            });
            prop_assert_eq!(exact, expected);
        }

        #[test]
        fn agrees_on_arbitrary_text(text in "[A-Za-z0-9_=+/ -]{0,100}") {
            prop_assert_eq!(decode(text.as_bytes()), BASE64URL.decode(&text).ok());
        }

        #[test]
        fn agrees_on_text_in_the_alphabet(text in "[A-Za-z0-9_-]{0,12}") {
            prop_assert_eq!(decode(text.as_bytes()), BASE64URL.decode(&text).ok());
        }

        #[test]
        fn agrees_on_arbitrary_bytes(text in proptest::collection::vec(any::<u8>(), 0..100)) {
            prop_assert_eq!(decode(&text), BASE64URL.decode(&text).ok());
        }
    }
}
