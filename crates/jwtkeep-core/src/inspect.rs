//! Reading a token without trusting it, for people: decode leniently, label
//! everything UNVERIFIED, and lint it for the mistakes RFC 8725 warns about.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};
use serde_json::{Map, Value};

use crate::strength::Severity;

/// base64url that also accepts padding and stray trailing bits: inspection
/// shows what a sloppy token says; verification is what refuses it.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Longer than this, a token is not worth linting (or printing).
pub const MAX_INSPECT_BYTES: usize = 64 * 1024;
/// A lifetime longer than this is flagged.
pub const LONG_LIFETIME_SECS: i64 = 24 * 3600;

/// `2026-11-22T15:04:05Z` for a Unix time (proleptic Gregorian, UTC).
pub fn format_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A token decoded without any verification.
#[derive(Clone, Debug, PartialEq)]
pub struct Unverified {
    /// The header members.
    pub header: Map<String, Value>,
    /// The payload, when it is a JSON object.
    pub claims: Option<Map<String, Value>>,
    /// The payload's length in bytes.
    pub payload_len: usize,
    /// The signature's bytes (public: anyone holding the token has them).
    pub signature: Vec<u8>,
}

/// Why a token could not even be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeTokenError {
    /// Larger than [`MAX_INSPECT_BYTES`].
    #[error("token is larger than 64 KiB")]
    TooLarge,
    /// Not three dot-separated segments.
    #[error("not a compact JWT: expected three segments separated by dots")]
    Segments,
    /// A segment is not base64url.
    #[error("the {0} is not base64url")]
    Encoding(&'static str),
    /// The header is not a JSON object.
    #[error("the header is not a JSON object")]
    Header,
}

/// Decodes a compact token without verifying anything.
pub fn decode_unverified(token: &str) -> Result<Unverified, DecodeTokenError> {
    let token = token.trim();
    if token.len() > MAX_INSPECT_BYTES {
        return Err(DecodeTokenError::TooLarge);
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err(DecodeTokenError::Segments);
    };
    let header = LENIENT
        .decode(header)
        .map_err(|_| DecodeTokenError::Encoding("header"))?;
    let payload = LENIENT
        .decode(payload)
        .map_err(|_| DecodeTokenError::Encoding("payload"))?;
    let signature = LENIENT
        .decode(signature)
        .map_err(|_| DecodeTokenError::Encoding("signature"))?;
    let Ok(Value::Object(header)) = serde_json::from_slice::<Value>(&header) else {
        return Err(DecodeTokenError::Header);
    };
    let claims = match serde_json::from_slice::<Value>(&payload) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    Ok(Unverified {
        header,
        claims,
        payload_len: payload.len(),
        signature,
    })
}

/// One thing a token gets wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lint {
    /// Stable snake_case code.
    pub code: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// What is wrong (never quoting claim values).
    pub message: String,
}

fn lint(code: &'static str, severity: Severity, message: impl Into<String>) -> Lint {
    Lint {
        code,
        severity,
        message: message.into(),
    }
}

fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether a string value looks like a payment card number or a US SSN.
fn looks_sensitive_value(text: &str) -> Option<&'static str> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).collect();
    let only_digits_and_separators = text
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-');
    if only_digits_and_separators && (13..=19).contains(&digits.len()) && luhn_valid(&digits) {
        return Some("a payment card number");
    }
    let b = text.as_bytes();
    let ssn = b.len() == 11
        && b.iter().enumerate().all(|(i, c)| {
            if i == 3 || i == 6 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if ssn {
        return Some("a national identity number");
    }
    None
}

fn sensitive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    const NAMES: [&str; 14] = [
        "password",
        "passwd",
        "pwd",
        "secret",
        "private_key",
        "privatekey",
        "api_key",
        "apikey",
        "ssn",
        "card_number",
        "cardnumber",
        "cvv",
        "credit_card",
        "national_id",
    ];
    NAMES.iter().any(|n| lower.contains(n))
}

/// Lints a decoded token as of `now`: what RFC 8725 and common sense say a
/// token should and should not carry. Findings never quote claim values.
pub fn lint_token(token: &Unverified, now: i64) -> Vec<Lint> {
    let mut out = Vec::new();
    let h = &token.header;
    match h.get("alg").and_then(Value::as_str) {
        Some(alg) if alg.trim().eq_ignore_ascii_case("none") => out.push(lint(
            "alg_none",
            Severity::Critical,
            "alg is none: the token is unsigned and anyone can forge it",
        )),
        Some(alg) if crate::Algorithm::from_jose_name(alg).is_none() => {
            out.push(lint(
                "unknown_alg",
                Severity::High,
                "alg is not a registered JWS algorithm",
            ));
        }
        Some(_) => {}
        None => out.push(lint("missing_alg", Severity::High, "the header has no alg")),
    }
    for (member, why) in [
        ("jwk", "embeds a public key (jwk): a verifier that trusts it accepts any signer"),
        ("jku", "points to a key set URL (jku): a verifier that fetches it can be redirected to an attacker's keys"),
        ("x5u", "points to a certificate URL (x5u): a verifier that fetches it can be redirected"),
        ("x5c", "embeds a certificate chain (x5c): only safe with strict chain validation"),
    ] {
        if h.contains_key(member) {
            out.push(lint("header_key_reference", Severity::High, format!("the header {why}")));
        }
    }
    if let Some(kid) = h.get("kid").and_then(Value::as_str) {
        let path = kid.contains("..") || kid.contains('/') || kid.contains('\\');
        let sql = ['\'', '"', ';', '|', '`', '$']
            .iter()
            .any(|c| kid.contains(*c))
            || kid.to_ascii_lowercase().contains(" or ")
            || kid.contains("--");
        if path || sql || kid.chars().any(char::is_control) {
            out.push(lint(
                "suspicious_kid",
                Severity::High,
                "kid looks like a file path, SQL or a command: a verifier that uses it unchecked can be injected",
            ));
        }
    }
    if h.contains_key("crit") {
        out.push(lint(
            "crit_header",
            Severity::Medium,
            "the header lists critical extensions (crit), which most verifiers do not understand",
        ));
    }
    if !h.contains_key("typ") {
        out.push(lint("missing_typ", Severity::Low, "no typ: explicit typing (RFC 8725 §3.11) keeps one kind of token from being used as another"));
    }
    let Some(claims) = &token.claims else {
        out.push(lint(
            "payload_not_json",
            Severity::Medium,
            "the payload is not a JSON object, so this is not a JWT",
        ));
        return out;
    };
    let date = |name: &str| claims.get(name).and_then(Value::as_i64);
    match date("exp") {
        None => out.push(lint(
            "missing_exp",
            Severity::High,
            "no exp: the token never expires",
        )),
        Some(exp) => {
            let start = date("iat").or(date("nbf")).unwrap_or(now);
            if exp - start > LONG_LIFETIME_SECS {
                out.push(lint(
                    "long_lifetime",
                    Severity::Medium,
                    format!(
                        "lifetime is {} hours; access tokens should live minutes",
                        (exp - start) / 3600
                    ),
                ));
            }
            if exp <= now {
                out.push(lint("expired", Severity::Low, "the token has expired"));
            }
        }
    }
    for (name, severity) in [
        ("iss", Severity::Low),
        ("aud", Severity::Medium),
        ("jti", Severity::Low),
        ("iat", Severity::Low),
    ] {
        if !claims.contains_key(name) {
            let why = match name {
                "iss" => "no iss: verifiers cannot pin the issuer",
                "aud" => "no aud: the token is accepted by any service that trusts the key",
                "jti" => "no jti: the token cannot be revoked individually",
                _ => "no iat: its age cannot be judged",
            };
            out.push(lint(
                match name {
                    "iss" => "missing_iss",
                    "aud" => "missing_aud",
                    "jti" => "missing_jti",
                    _ => "missing_iat",
                },
                severity,
                why,
            ));
        }
    }
    for (name, value) in claims {
        let kind = if sensitive_name(name) {
            Some("a name that suggests a secret or personal data")
        } else {
            value.as_str().and_then(looks_sensitive_value)
        };
        if let Some(kind) = kind {
            out.push(lint(
                "sensitive_claim",
                Severity::High,
                format!(
                    "claim {} holds {kind}: JWT payloads are only base64, readable by anyone who sees the token",
                    crate::untrusted::Untrusted::new(name)
                ),
            ));
        }
    }
    out.sort_by_key(|l| std::cmp::Reverse(l.severity));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[allow(clippy::needless_pass_by_value)] // reads better at the call sites
    fn token(header: Value, payload: Value) -> String {
        let e = crate::encoding::BASE64URL;
        format!(
            "{}.{}.c2ln",
            e.encode(header.to_string()),
            e.encode(payload.to_string())
        )
    }

    fn codes(t: &str) -> Vec<&'static str> {
        lint_token(&decode_unverified(t).unwrap(), 1_800_000_000)
            .iter()
            .map(|l| l.code)
            .collect()
    }

    #[test]
    fn a_well_formed_token_has_no_findings() {
        let t = token(
            json!({"alg": "ES256", "typ": "at+jwt", "kid": "k1"}),
            json!({"iss": "i", "aud": "a", "sub": "s", "jti": "j", "iat": 1_800_000_000, "exp": 1_800_000_900}),
        );
        assert!(codes(&t).is_empty(), "{:?}", codes(&t));
    }

    #[test]
    fn the_dangerous_mistakes_are_each_flagged() {
        let t = token(
            json!({"alg": "none", "jku": "https://x", "kid": "../../etc/passwd"}),
            json!({"password": "hunter2", "card": "4111 1111 1111 1111", "ssn": "078-05-1120"}),
        );
        let found = codes(&t);
        for code in [
            "alg_none",
            "header_key_reference",
            "suspicious_kid",
            "missing_exp",
            "missing_typ",
            "missing_aud",
            "sensitive_claim",
        ] {
            assert!(found.contains(&code), "{code}: {found:?}");
        }
        assert_eq!(found.iter().filter(|c| **c == "sensitive_claim").count(), 3);
        let lints = lint_token(&decode_unverified(&t).unwrap(), 0);
        assert!(lints
            .iter()
            .all(|l| !l.message.contains("hunter2") && !l.message.contains("4111")));
    }

    #[test]
    fn long_lifetimes_are_flagged() {
        let t = token(
            json!({"alg": "HS256", "typ": "JWT"}),
            json!({"iat": 0, "exp": 90 * 24 * 3600, "aud": "a", "iss": "i", "jti": "j"}),
        );
        assert!(codes(&t).contains(&"long_lifetime"));
    }

    #[test]
    fn garbage_is_a_decode_error_not_a_panic() {
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "!!!.e30.",
            "e30.e30",
            "W10.e30.",
            "bm90IGpzb24.e30.",
        ] {
            assert!(decode_unverified(bad).is_err(), "{bad}");
        }
    }
}
