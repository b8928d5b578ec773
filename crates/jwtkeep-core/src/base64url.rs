//! Strict base64url decoding of token segments (RFC 7515 §2): the URL-safe
//! alphabet only, no padding, no whitespace, no stray trailing bits.
//!
//! Every verification decodes the signature and the payload, so this sits on
//! the hot path. Four tables hold each character's six bits already shifted
//! to its place in a group of four, so a group becomes three bytes with four
//! loads and three ORs; a character outside the alphabet sets a high bit that
//! no valid group can set, and one accumulated check at the end refuses it.
//! The `base64` crate's general engine (configurable alphabets and padding)
//! decodes the same inputs to the same bytes, a property the tests hold.

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
    let out = out.get_mut(..len)?;
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
    Some(len)
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

        #[test]
        fn agrees_on_arbitrary_text(text in "[A-Za-z0-9_=+/ -]{0,40}") {
            prop_assert_eq!(decode(text.as_bytes()), BASE64URL.decode(&text).ok());
        }

        #[test]
        fn agrees_on_text_in_the_alphabet(text in "[A-Za-z0-9_-]{0,12}") {
            prop_assert_eq!(decode(text.as_bytes()), BASE64URL.decode(&text).ok());
        }

        #[test]
        fn agrees_on_arbitrary_bytes(text in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(decode(&text), BASE64URL.decode(&text).ok());
        }
    }
}
