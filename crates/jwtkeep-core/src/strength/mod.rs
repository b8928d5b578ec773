//! How strong is a secret? Length for the algorithm, the known-weak list,
//! placeholders, guessable patterns and an entropy estimate, each reported as
//! a finding with a stable code, a severity and a fix.
//!
//! An estimate can only ever show weakness. A secret is called strong when
//! nothing here finds fault with it, which is necessary, not sufficient: only
//! length and a CSPRNG origin make a secret strong.

mod estimate;
mod fingerprint;
mod lists;
mod placeholder;

use std::collections::HashMap;
use std::fmt;

use aws_lc_rs::digest;
use zeroize::Zeroizing;

pub use estimate::{estimate, Estimate, PatternKind, MAX_ANALYSED_CHARS};
pub use lists::{WeakSecrets, Words};
pub use placeholder::is_placeholder;

use crate::alg::Algorithm;
use crate::encoding::{DecodeError, TextEncoding};
use crate::secret::Secret;

/// Below this many estimated bits a secret can be searched offline.
pub const MIN_ENTROPY_BITS: f64 = 128.0;

/// How the text of a secret is turned into key bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputEncoding {
    /// The text's UTF-8 bytes are the key (what most JWT libraries do with a string).
    Raw,
    /// Hexadecimal.
    Hex,
    /// Standard base64.
    Base64,
    /// URL-safe base64.
    Base64Url,
    /// Decide from the text's shape, and say what was assumed.
    Auto,
}

impl InputEncoding {
    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            InputEncoding::Raw => "raw",
            InputEncoding::Hex => "hex",
            InputEncoding::Base64 => "base64",
            InputEncoding::Base64Url => "base64url",
            InputEncoding::Auto => "auto",
        }
    }
}

/// A secret's text turned into key bytes.
#[derive(Debug)]
pub struct Interpreted {
    /// The encoding used (never `Auto`).
    pub encoding: InputEncoding,
    /// The key bytes.
    pub secret: Secret,
}

/// Turns the text of a secret into key bytes. With `Auto`: hex when the text is
/// at least 32 hex digits mixing digits and letters in one case; base64 or
/// base64url when it is text of that alphabet that decodes exactly and either
/// has 16+ characters mixing upper case, lower case and digits, or 40+
/// characters mixing two of them; otherwise raw.
pub fn interpret(text: &str, encoding: InputEncoding) -> Result<Interpreted, DecodeError> {
    let resolved = match encoding {
        InputEncoding::Auto => guess_encoding(text),
        other => other,
    };
    let bytes = match resolved {
        InputEncoding::Raw | InputEncoding::Auto => Zeroizing::new(text.as_bytes().to_vec()),
        InputEncoding::Hex => TextEncoding::Hex.decode(text)?,
        InputEncoding::Base64 => TextEncoding::Base64.decode(text)?,
        InputEncoding::Base64Url => TextEncoding::Base64Url.decode(text)?,
    };
    Ok(Interpreted {
        encoding: resolved,
        secret: Secret::from_bytes(bytes),
    })
}

fn guess_encoding(text: &str) -> InputEncoding {
    let has = |f: fn(&u8) -> bool| text.as_bytes().iter().any(f);
    let all = |f: fn(&u8) -> bool| text.as_bytes().iter().all(f);
    let (lower, upper, digit) = (
        has(u8::is_ascii_lowercase),
        has(u8::is_ascii_uppercase),
        has(u8::is_ascii_digit),
    );
    if text.len() >= 32
        && text.len().is_multiple_of(2)
        && all(u8::is_ascii_hexdigit)
        && digit
        && (lower != upper)
    {
        return InputEncoding::Hex;
    }
    let classes = usize::from(lower) + usize::from(upper) + usize::from(digit);
    // Short text must mix all three classes to pass for base64; long text
    // (40+ characters, a 30-byte key or more) two, since words rarely run that long.
    if (text.len() >= 16 && classes == 3) || (text.len() >= 40 && classes >= 2) {
        let unpadded = text.trim_end_matches('=');
        let url = unpadded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let standard = unpadded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
        // Padding is the mark of standard base64; JOSE's base64url has none.
        // Text in the shared alphabet decodes to the same bytes either way.
        let padded = unpadded.len() != text.len();
        if standard && padded && TextEncoding::Base64.decode(text).is_ok() {
            return InputEncoding::Base64;
        }
        if url && TextEncoding::Base64Url.decode(text).is_ok() {
            return InputEncoding::Base64Url;
        }
        if standard && TextEncoding::Base64.decode(text).is_ok() {
            return InputEncoding::Base64;
        }
    }
    InputEncoding::Raw
}

/// How much a finding matters. Anything from `Medium` up makes the verdict weak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; the secret is still acceptable.
    Low,
    /// A real weakness.
    Medium,
    /// Guessable or too short.
    High,
    /// Publicly known, or no secret at all.
    Critical,
}

impl Severity {
    /// The name used in output.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The stable codes of strength findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FindingCode {
    /// No secret at all.
    Empty,
    /// Shorter than the algorithm's hash output.
    TooShort,
    /// On the bundled list of secrets seen in the wild.
    KnownWeak,
    /// A template or tutorial default.
    Placeholder,
    /// Mostly made of guessable patterns.
    GuessablePattern,
    /// Estimated entropy under [`MIN_ENTROPY_BITS`].
    LowEntropy,
    /// Enough entropy to resist guessing, but less than the key size.
    EntropyBelowKeySize,
    /// The same secret serves two purposes.
    ReusedAcrossPurposes,
    /// The same secret is used in two environments.
    ReusedAcrossEnvironments,
}

impl FindingCode {
    /// The stable snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::Empty => "empty",
            FindingCode::TooShort => "too_short",
            FindingCode::KnownWeak => "known_weak",
            FindingCode::Placeholder => "placeholder",
            FindingCode::GuessablePattern => "guessable_pattern",
            FindingCode::LowEntropy => "low_entropy",
            FindingCode::EntropyBelowKeySize => "entropy_below_key_size",
            FindingCode::ReusedAcrossPurposes => "reused_across_purposes",
            FindingCode::ReusedAcrossEnvironments => "reused_across_environments",
        }
    }
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing wrong with a secret. Messages never contain the secret or any part of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Stable code.
    pub code: FindingCode,
    /// How much it matters.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

/// The verdict on a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No finding of medium severity or above.
    Strong,
    /// At least one finding of medium severity or above.
    Weak,
}

impl Verdict {
    /// The name used in output.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Strong => "strong",
            Verdict::Weak => "weak",
        }
    }
}

/// Everything `check` found about one secret.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The algorithm the secret was judged for.
    pub alg: Algorithm,
    /// How its text was decoded.
    pub encoding: InputEncoding,
    /// Key length in bytes after decoding.
    pub bytes: usize,
    /// The algorithm's minimum in bytes.
    pub min_bytes: usize,
    /// Estimated entropy in bits, capped at eight per key byte.
    pub estimated_bits: f64,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
}

impl Report {
    /// `Weak` when any finding is medium or worse.
    pub fn verdict(&self) -> Verdict {
        if self.findings.iter().any(|f| f.severity >= Severity::Medium) {
            Verdict::Weak
        } else {
            Verdict::Strong
        }
    }
}

fn regenerate(alg: Algorithm) -> String {
    format!("generate a new one: jwtkeep gen secret --alg {alg}")
}

/// Judges one secret, given as the text the user holds, for `alg` (an HMAC algorithm).
pub fn check(text: &str, encoding: InputEncoding, alg: Algorithm) -> Result<Report, DecodeError> {
    let interpreted = interpret(text, encoding)?;
    let key = interpreted.secret.expose();
    let min_bytes = alg.min_secret_bytes().unwrap_or(32);
    let mut findings = Vec::new();
    let mut add = |code, severity, message: String, fix: String| {
        findings.push(Finding {
            code,
            severity,
            message,
            fix,
        });
    };

    if key.is_empty() {
        add(
            FindingCode::Empty,
            Severity::Critical,
            "the secret is empty: every token signed with it can be forged".to_owned(),
            regenerate(alg),
        );
    }
    let list = WeakSecrets::get();
    let known = list.contains(text.as_bytes())
        || list.contains(text.trim().as_bytes())
        || list.contains(key);
    if known {
        add(
            FindingCode::KnownWeak,
            Severity::Critical,
            format!(
                "the secret is on a public list of {} JWT secrets seen in the wild; attackers try these first, and every token signed with it can be forged",
                list.len()
            ),
            format!("rotate it now; {}", regenerate(alg)),
        );
    }
    let placeholder = !key.is_empty() && is_placeholder(text);
    if placeholder {
        add(
            FindingCode::Placeholder,
            Severity::Critical,
            "the secret is a placeholder or tutorial default, not a secret".to_owned(),
            format!("replace it; {}", regenerate(alg)),
        );
    }
    if key.len() < min_bytes {
        add(
            FindingCode::TooShort,
            Severity::High,
            format!(
                "{} bytes as {}; {alg} needs at least {min_bytes} bytes (RFC 7518 §3.2)",
                key.len(),
                interpreted.encoding.name()
            ),
            regenerate(alg),
        );
    }

    // The estimate of the text as written, and of the decoded bytes when they
    // are themselves readable text (base64 of a password is still a password).
    let mut best = estimate(text);
    if interpreted.encoding != InputEncoding::Raw {
        if let Ok(decoded) = std::str::from_utf8(key) {
            if !decoded.chars().any(char::is_control) {
                let inner = estimate(decoded);
                if inner.bits < best.bits {
                    best = inner;
                }
            }
        }
    }
    let estimated_bits = best.bits.min(8.0 * key.len() as f64);
    let key_bits = 8.0 * min_bytes as f64;
    // Random text has incidental words (leetspeak over base64 digits finds
    // many): patterns make a secret guessable only when they also bring the
    // estimate well under the key size.
    let mostly_patterns = !best.patterns.is_empty()
        && best.pattern_chars * 10 >= best.chars * 4
        && estimated_bits < 0.75 * key_bits;
    if mostly_patterns && !known && !placeholder {
        let kinds: Vec<&str> = best.patterns.iter().map(|k| k.describe()).collect();
        add(
            FindingCode::GuessablePattern,
            Severity::High,
            format!(
                "the secret is built from {}: guessable without brute force",
                kinds.join(", ")
            ),
            regenerate(alg),
        );
    }
    if !key.is_empty() && estimated_bits < MIN_ENTROPY_BITS {
        add(
            FindingCode::LowEntropy,
            Severity::High,
            format!(
                "estimated entropy is about {estimated_bits:.0} bits, below the {MIN_ENTROPY_BITS:.0} bits that resist offline guessing"
            ),
            regenerate(alg),
        );
    } else if estimated_bits < 0.75 * key_bits {
        add(
            FindingCode::EntropyBelowKeySize,
            Severity::Low,
            format!(
                "estimated entropy is about {estimated_bits:.0} bits; an {alg} key can carry {key_bits:.0}"
            ),
            format!("for full strength, {}", regenerate(alg)),
        );
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Ok(Report {
        alg,
        encoding: interpreted.encoding,
        bytes: key.len(),
        min_bytes,
        estimated_bits: (estimated_bits * 10.0).round() / 10.0,
        findings,
    })
}

/// One secret among several being checked together, labelled by where it came from.
#[derive(Debug)]
pub struct Labelled<'a> {
    /// The variable name (`JWT_ACCESS_SECRET`).
    pub name: &'a str,
    /// The environment or file it came from (`production`, `.env.staging`).
    pub environment: &'a str,
    /// The key bytes.
    pub secret: &'a Secret,
}

/// Findings for secrets that are the same as an earlier one in `items`, as
/// `(index, finding)`. Secrets are compared by SHA-256 digest, never directly.
pub fn reuse_findings(items: &[Labelled<'_>]) -> Vec<(usize, Finding)> {
    let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut out = Vec::new();
    for (index, item) in items.iter().enumerate() {
        if item.secret.is_empty() {
            continue;
        }
        let fingerprint = digest::digest(&digest::SHA256, item.secret.expose())
            .as_ref()
            .to_vec();
        let Some(&first) = seen.get(&fingerprint) else {
            seen.insert(fingerprint, index);
            continue;
        };
        let Some(other) = items.get(first) else {
            continue;
        };
        let finding = if other.environment == item.environment {
            Finding {
                code: FindingCode::ReusedAcrossPurposes,
                severity: Severity::High,
                message: format!(
                    "the same secret as {} in {}: a token of one purpose is accepted for the other",
                    other.name, other.environment
                ),
                fix: "give each purpose its own secret: jwtkeep gen secret --purpose access,refresh,...".to_owned(),
            }
        } else {
            Finding {
                code: FindingCode::ReusedAcrossEnvironments,
                severity: Severity::High,
                message: format!(
                    "the same secret as {} in {}: a token from one environment is accepted in the other",
                    other.name, other.environment
                ),
                fix: "give each environment its own secret: jwtkeep gen secret --env NAME --write".to_owned(),
            }
        };
        out.push((index, finding));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(report: &Report) -> Vec<&'static str> {
        report.findings.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn random_secrets_are_never_flagged() {
        // An estimator that calls random keys weak teaches users to ignore it.
        for _ in 0..400 {
            for alg in Algorithm::HMAC {
                let secret = Secret::generate(alg, None).unwrap();
                for enc in [
                    TextEncoding::Base64Url,
                    TextEncoding::Base64,
                    TextEncoding::Hex,
                ] {
                    let text = enc.encode(secret.expose());
                    let report = check(&text, InputEncoding::Auto, alg).unwrap();
                    assert!(report.findings.is_empty(), "{alg} {enc:?} {report:?}");
                    assert_eq!(report.verdict(), Verdict::Strong);
                    assert_eq!(report.bytes, secret.len(), "{alg} {enc:?} {report:?}");
                }
            }
        }
    }

    #[test]
    fn known_weak_secret_is_critical() {
        let report = check("thisisthesecretkey", InputEncoding::Auto, Algorithm::Hs256).unwrap();
        assert_eq!(report.verdict(), Verdict::Weak);
        assert_eq!(report.findings[0].code, FindingCode::KnownWeak);
    }

    #[test]
    fn app_name_secret_year_is_a_guessable_pattern_even_when_long_enough() {
        let text = "myapp-production-secret-2024-jwt-key";
        assert!(text.len() >= 32);
        let report = check(text, InputEncoding::Auto, Algorithm::Hs256).unwrap();
        let codes = codes(&report);
        assert!(codes.contains(&"guessable_pattern"), "{report:?}");
        assert!(codes.contains(&"low_entropy"), "{report:?}");
        assert!(!codes.contains(&"too_short"));
    }

    #[test]
    fn short_secret_names_the_minimum() {
        let report = check("kQ0d3Lw9o7fZbU1h", InputEncoding::Raw, Algorithm::Hs384).unwrap();
        let short = report
            .findings
            .iter()
            .find(|f| f.code == FindingCode::TooShort)
            .unwrap();
        assert!(short.message.contains("at least 48 bytes"));
    }

    #[test]
    fn placeholder_is_critical_and_messages_never_echo_the_secret() {
        let text = "your-256-bit-secret-change-me-please-now";
        let report = check(text, InputEncoding::Auto, Algorithm::Hs256).unwrap();
        assert!(codes(&report).contains(&"placeholder"));
        for f in &report.findings {
            assert!(!f.message.contains(text) && !f.fix.contains(text));
            assert!(!f.message.contains("change-me"));
        }
    }

    #[test]
    fn base64_of_a_password_is_still_weak() {
        let text = TextEncoding::Base64.encode(b"supersecretpasswordsupersecretpassword");
        let report = check(&text, InputEncoding::Auto, Algorithm::Hs256).unwrap();
        assert_ne!(report.encoding, InputEncoding::Raw);
        assert_eq!(report.verdict(), Verdict::Weak, "{report:?}");
    }

    #[test]
    fn auto_encoding_is_stated() {
        assert_eq!(
            guess_encoding("9f86d081884c7d659a2feaa0c55ad015"),
            InputEncoding::Hex
        );
        assert_eq!(
            guess_encoding("kQ0d3Lw9o7fZbU1hXr2yTq8vNc5sJm4eAa6iGp-_Hk0"),
            InputEncoding::Base64Url
        );
        assert_eq!(
            guess_encoding("kQ0d3Lw9o7fZbU1hXr2yTq8vNc5sJm4eAa6iGp+/Hk0="),
            InputEncoding::Base64
        );
        assert_eq!(guess_encoding("myapp-secret-2024"), InputEncoding::Raw);
    }

    #[test]
    fn reuse_is_found_across_purposes_and_environments() {
        let a = Secret::generate(Algorithm::Hs256, None).unwrap();
        let b = Secret::generate(Algorithm::Hs256, None).unwrap();
        let items = [
            Labelled {
                name: "JWT_ACCESS_SECRET",
                environment: "production",
                secret: &a,
            },
            Labelled {
                name: "JWT_REFRESH_SECRET",
                environment: "production",
                secret: &a,
            },
            Labelled {
                name: "JWT_ACCESS_SECRET",
                environment: "staging",
                secret: &a,
            },
            Labelled {
                name: "JWT_EMAIL_SECRET",
                environment: "staging",
                secret: &b,
            },
        ];
        let found = reuse_findings(&items);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, 1);
        assert_eq!(found[0].1.code, FindingCode::ReusedAcrossPurposes);
        assert_eq!(found[1].0, 2);
        assert_eq!(found[1].1.code, FindingCode::ReusedAcrossEnvironments);
    }
}
