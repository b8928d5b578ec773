//! Text encodings of secret bytes: base64url, base64 and hex, strictly decoded.
//!
//! Encoded secrets are returned in [`Zeroizing`] strings so that the text form
//! of a secret is wiped as well as its bytes.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use zeroize::Zeroizing;

/// base64url without padding, as JOSE writes it (RFC 7515 §2); decoding refuses
/// padding and non-zero trailing bits.
pub const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Standard base64 with padding, as PEM and Kubernetes write it.
pub const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(false),
);

/// base64url for text a person pasted: padding is tolerated, trailing bits are not.
const BASE64URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(false),
);

/// How secret bytes are written as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// URL-safe base64 without padding (the default: safe in URLs, env files and JSON).
    Base64Url,
    /// Standard base64 with padding.
    Base64,
    /// Lower-case hexadecimal.
    Hex,
}

impl TextEncoding {
    /// The name used on the command line and in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Base64Url => "base64url",
            TextEncoding::Base64 => "base64",
            TextEncoding::Hex => "hex",
        }
    }

    /// Writes `bytes` in this encoding.
    pub fn encode(self, bytes: &[u8]) -> Zeroizing<String> {
        Zeroizing::new(match self {
            TextEncoding::Base64Url => crate::base64url::encode(bytes),
            TextEncoding::Base64 => BASE64.encode(bytes),
            TextEncoding::Hex => hex_encode(bytes),
        })
    }

    /// Reads text written in this encoding back into bytes.
    pub fn decode(self, text: &str) -> Result<Zeroizing<Vec<u8>>, DecodeError> {
        match self {
            TextEncoding::Base64Url => BASE64URL_LENIENT
                .decode(text)
                .map(Zeroizing::new)
                .map_err(|_| DecodeError::Base64Url),
            TextEncoding::Base64 => BASE64
                .decode(text)
                .map(Zeroizing::new)
                .map_err(|_| DecodeError::Base64),
            TextEncoding::Hex => hex_decode(text),
        }
    }
}

/// Why text did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not valid base64url (alphabet `A-Z a-z 0-9 - _`, no stray bits).
    #[error("not valid base64url")]
    Base64Url,
    /// Not valid standard base64.
    #[error("not valid base64")]
    Base64,
    /// Not valid hex (an even number of `0-9 a-f A-F`).
    #[error("not valid hex: expected an even number of 0-9, a-f characters")]
    Hex,
}

impl DecodeError {
    /// A stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            DecodeError::Base64Url => "invalid_base64url",
            DecodeError::Base64 => "invalid_base64",
            DecodeError::Hex => "invalid_hex",
        }
    }
}

/// Lower-case hex of `bytes`.
pub fn hex_encode(bytes: &[u8]) -> String {
    fn digit(nibble: u8) -> char {
        char::from(if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' + nibble - 10
        })
    }
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0f));
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex, either case.
pub fn hex_decode(text: &str) -> Result<Zeroizing<Vec<u8>>, DecodeError> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(DecodeError::Hex);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len() / 2));
    for pair in bytes.chunks_exact(2) {
        let (hi, lo) = match pair {
            [hi, lo] => (hex_value(*hi), hex_value(*lo)),
            _ => (None, None),
        };
        match (hi, lo) {
            (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
            _ => return Err(DecodeError::Hex),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_odd_length() {
        let bytes = [0u8, 1, 0x7f, 0x80, 0xff];
        let text = TextEncoding::Hex.encode(&bytes);
        assert_eq!(text.as_str(), "00017f80ff");
        assert_eq!(hex_decode("00017F80FF").unwrap().as_slice(), &bytes);
        assert_eq!(hex_decode("abc"), Err(DecodeError::Hex));
        assert_eq!(hex_decode("zz"), Err(DecodeError::Hex));
    }

    #[test]
    fn base64url_refuses_trailing_bits() {
        // "AB" carries 12 bits of which the last 4 must be zero.
        assert!(TextEncoding::Base64Url.decode("AB").is_err());
        assert_eq!(
            TextEncoding::Base64Url.decode("AA").unwrap().as_slice(),
            &[0]
        );
        assert!(TextEncoding::Base64Url.decode("a+b/").is_err());
    }

    #[test]
    fn each_encoding_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        for enc in [
            TextEncoding::Base64Url,
            TextEncoding::Base64,
            TextEncoding::Hex,
        ] {
            let text = enc.encode(&bytes);
            assert_eq!(enc.decode(&text).unwrap().as_slice(), bytes.as_slice());
        }
    }
}
