//! Triage of the JWTs committed to a tree: what each one is (algorithm,
//! issuer, expiry) and, for HMAC tokens, whether its secret is known — the
//! empty secret, the bundled known-weak list, the user's wordlists, or a
//! secret found in the same tree. A token whose secret is known can be
//! forged: anyone who reads the repository can sign tokens the service
//! accepts.
//!
//! Tokens are never printed; findings say what they are and where.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use jwtkeep_core::inspect::{decode_unverified, format_utc};
use jwtkeep_core::strength::Severity;
use serde_json::Value;
use zeroize::Zeroizing;

use super::{lock, Finding};
use crate::weak_secret::{Found, HmacTarget, Progress, Search, Source};

/// At most this many distinct HMAC tokens of one scan are searched for their
/// secret (about 20 ms each on one core); the rest say they were not.
pub const MAX_SEARCHED_TOKENS: usize = 256;

/// How committed tokens are judged.
#[derive(Default)]
pub struct Triage {
    /// The time expiry is judged at (Unix seconds); without it, expiry is
    /// shown but not judged.
    pub now: Option<i64>,
    /// Extra candidate secrets, newline-separated (the `--wordlist` files).
    pub wordlists: Vec<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for Triage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Triage")
            .field("now", &self.now)
            .field("wordlists", &self.wordlists.len())
            .finish()
    }
}

/// A committed token and where it is.
pub(crate) struct TokenAt {
    pub(crate) path: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) token: Zeroizing<String>,
}

/// A secret found in the tree, and where.
pub(crate) struct SecretAt {
    pub(crate) path: String,
    pub(crate) line: usize,
    pub(crate) secret: Zeroizing<Vec<u8>>,
}

/// The token at `offset` of `text`: base64url characters and dots, cut to
/// three segments.
pub(crate) fn token_at(text: &[u8], offset: usize) -> Option<Zeroizing<String>> {
    let rest = text.get(offset..)?;
    let len = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        .count();
    let run = std::str::from_utf8(rest.get(..len)?).ok()?;
    let mut parts = run.splitn(4, '.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    Some(Zeroizing::new(format!("{h}.{p}.{s}")))
}

/// Where the secret was found, in words.
fn source_words(found: &Found, secrets: &[&SecretAt]) -> String {
    match found.source {
        Source::Empty => "it is the empty secret".to_owned(),
        Source::Bundled => {
            "its secret is on jwtkeep's bundled list of known-weak JWT secrets".to_owned()
        }
        Source::Wordlist => "its secret is in your wordlist".to_owned(),
        Source::Tree => {
            let at = usize::try_from(found.index)
                .ok()
                .and_then(|i| secrets.get(i))
                .map(|s| format!(" ({}:{})", s.path, s.line))
                .unwrap_or_default();
            format!("its secret is written in this tree{at}")
        }
        _ => "its secret is known".to_owned(),
    }
}

fn shown(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let short: String = text.chars().take(80).collect();
    format!("{short:?}")
}

/// A token's severity and the message that says why.
type Judged = (Severity, String);

/// What one distinct token is, and how bad it is to have it committed.
fn judge(
    token: &str,
    secrets: &[&SecretAt],
    candidates: &[u8],
    triage: &Triage,
    search: bool,
) -> Option<Judged> {
    let decoded = decode_unverified(token).ok()?;
    let alg = decoded
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("no alg")
        .to_owned();
    let mut facts = vec![alg.clone()];
    let claims = decoded.claims.as_ref();
    if let Some(iss) = claims.and_then(|c| c.get("iss")) {
        facts.push(format!("issuer {}", shown(iss)));
    }
    let exp = claims.and_then(|c| c.get("exp")).and_then(Value::as_i64);
    let live = match (exp, triage.now) {
        (None, _) => {
            facts.push("no expiry".to_owned());
            true
        }
        (Some(exp), Some(now)) if exp <= now => {
            facts.push(format!("expired {}", format_utc(exp)));
            false
        }
        (Some(exp), Some(_)) => {
            facts.push(format!("live until {}", format_utc(exp)));
            true
        }
        (Some(exp), None) => {
            facts.push(format!("expires {}", format_utc(exp)));
            true
        }
    };
    let facts = facts.join(", ");
    let hmac = alg.starts_with("HS");
    let found = if hmac && search {
        HmacTarget::from_token(token).ok().and_then(|target| {
            let progress = Progress::new();
            let search = Search::new(&target, NonZeroUsize::MIN, &progress);
            search
                .empty()
                .or_else(|| search.bundled())
                .or_else(|| {
                    triage
                        .wordlists
                        .iter()
                        .find_map(|w| search.lines(w, Source::Wordlist))
                })
                .or_else(|| search.lines(candidates, Source::Tree))
        })
    } else {
        None
    };
    Some(match (found, live) {
        (Some(found), true) => (
            Severity::Critical,
            format!(
                "a forgeable JWT is committed ({facts}): {}, so anyone who reads the repository can sign tokens the service accepts",
                source_words(&found, secrets)
            ),
        ),
        (Some(found), false) => (
            Severity::Critical,
            format!(
                "a JWT is committed ({facts}), and {}: anyone who reads the repository can sign new tokens with it",
                source_words(&found, secrets)
            ),
        ),
        (None, live) => {
            let searched = if !hmac {
                String::new()
            } else if search {
                "; its secret is not on the bundled list, your wordlists or among the secrets in this tree".to_owned()
            } else {
                format!("; its secret was not searched for (more than {MAX_SEARCHED_TOKENS} HMAC tokens in the tree)")
            };
            let severity = if live { Severity::High } else { Severity::Medium };
            (severity, format!("a JWT is committed ({facts}){searched}"))
        }
    })
}

/// Judges every committed token and rewrites its findings; the searches run
/// on `threads` threads, one token each.
pub(crate) fn apply(
    findings: &mut [Finding],
    tokens: &[TokenAt],
    secrets: &[SecretAt],
    triage: &Triage,
    threads: usize,
) {
    if tokens.is_empty() {
        return;
    }
    // Candidates from the tree: one per line, each once.
    let mut usable: Vec<&SecretAt> = secrets
        .iter()
        .filter(|s| {
            !s.secret.is_empty() && !s.secret.contains(&b'\n') && !s.secret.contains(&b'\r')
        })
        .collect();
    usable.sort_by(|a, b| a.secret.cmp(&b.secret));
    usable.dedup_by(|a, b| a.secret == b.secret);
    let mut candidates = Zeroizing::new(Vec::new());
    for s in &usable {
        candidates.extend_from_slice(&s.secret);
        candidates.push(b'\n');
    }
    // Each distinct token once, in a stable order.
    let mut distinct: BTreeMap<&str, Vec<&TokenAt>> = BTreeMap::new();
    for t in tokens {
        distinct.entry(t.token.as_str()).or_default().push(t);
    }
    let work: Vec<(&str, bool)> = {
        let mut hmac_seen = 0usize;
        distinct
            .keys()
            .map(|&token| {
                let hmac = decode_unverified(token).is_ok_and(|d| {
                    d.header
                        .get("alg")
                        .and_then(Value::as_str)
                        .is_some_and(|a| a.starts_with("HS"))
                });
                if hmac {
                    hmac_seen += 1;
                }
                (token, hmac_seen <= MAX_SEARCHED_TOKENS)
            })
            .collect()
    };
    let results: Mutex<Vec<(&str, Option<Judged>)>> = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, work.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(token, search)) = work.get(i) else {
                    break;
                };
                let judged = judge(token, &usable, &candidates, triage, search);
                lock(&results).push((token, judged));
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    for (token, judged) in results {
        let Some((severity, message)) = judged else {
            continue;
        };
        for at in distinct.get(token).into_iter().flatten() {
            for f in findings.iter_mut().filter(|f| {
                f.rule.id == "jwt-committed-token"
                    && f.path == at.path
                    && f.line == at.line
                    && f.column == at.column
            }) {
                f.severity = severity;
                f.message.clone_from(&message);
            }
        }
    }
}
