//! PEM armour (RFC 7468) for DER key structures.

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::encoding::BASE64;

/// PEM label of a PKCS#8 private key.
pub const PRIVATE_KEY: &str = "PRIVATE KEY";
/// PEM label of an X.509 SubjectPublicKeyInfo.
pub const PUBLIC_KEY: &str = "PUBLIC KEY";

/// Wraps DER in PEM armour with 64-character lines. Returned zeroizing because
/// private keys pass through here.
pub fn encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let body = Zeroizing::new(BASE64.encode(der));
    let mut out = Zeroizing::new(String::with_capacity(body.len() + body.len() / 64 + 64));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in body.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// A PEM block that could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PemError {
    /// No `-----BEGIN ...-----` line.
    #[error("no PEM block found (expected a -----BEGIN ...----- line)")]
    NoBlock,
    /// BEGIN without a matching END, or labels that differ.
    #[error("PEM block is not closed by a matching -----END ...----- line")]
    Unterminated,
    /// The body is not base64.
    #[error("PEM body is not valid base64")]
    Body,
}

/// The first PEM block of `text`: its label and DER contents.
pub fn decode(text: &str) -> Result<(String, Zeroizing<Vec<u8>>), PemError> {
    let mut lines = text.lines().map(str::trim);
    let label = lines
        .by_ref()
        .find_map(|l| l.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
        .ok_or(PemError::NoBlock)?
        .to_owned();
    let mut body = Zeroizing::new(String::new());
    let mut closed = false;
    for line in lines {
        if let Some(end) = line
            .strip_prefix("-----END ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            if end != label {
                return Err(PemError::Unterminated);
            }
            closed = true;
            break;
        }
        body.push_str(line);
    }
    if !closed {
        return Err(PemError::Unterminated);
    }
    let der = BASE64.decode(body.as_bytes()).map_err(|_| PemError::Body)?;
    Ok((label, Zeroizing::new(der)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_wraps_at_64() {
        let der: Vec<u8> = (0..=200).collect();
        let pem = encode(PUBLIC_KEY, &der);
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
        let (label, back) = decode(&pem).unwrap();
        assert_eq!(label, PUBLIC_KEY);
        assert_eq!(back.as_slice(), der.as_slice());
    }

    #[test]
    fn refuses_unclosed_or_mismatched_blocks() {
        assert_eq!(decode("hello").unwrap_err(), PemError::NoBlock);
        assert_eq!(
            decode("-----BEGIN A-----\nAAAA\n").unwrap_err(),
            PemError::Unterminated
        );
        assert_eq!(
            decode("-----BEGIN A-----\nAAAA\n-----END B-----\n").unwrap_err(),
            PemError::Unterminated
        );
    }
}
