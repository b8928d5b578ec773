//! `jwtkeep audit`: a token's lint findings, and for HMAC tokens the search
//! for its secret among the secrets attackers try first.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use jwtkeep_audit::weak_secret::{
    hint_candidates, Found, HmacTarget, Progress, Search, Source, TargetError, MAX_HINTS,
};
use jwtkeep_core::inspect::{decode_unverified, lint_token};
use jwtkeep_core::strength::{Severity, WeakSecrets};
use serde_json::{json, Value};

use crate::cli::AuditArgs;
use crate::clock::now_unix;
use crate::commands::token::{lint_json, lint_text, token_text};
use crate::output::{self, Outcome};
use crate::progress::{self, Bar};

/// Wordlists are read and searched in pieces of about this size.
const CHUNK_BYTES: usize = 64 << 20;

/// Where the search is, for the progress line.
#[derive(Default)]
struct Phase {
    label: String,
    /// Bytes of candidates finished before the current piece.
    bytes_before: u64,
    /// The current piece: its bytes, its candidates, and the count tried before it.
    piece_bytes: u64,
    piece_candidates: u64,
    tried_before: u64,
}

/// The candidates searched so far and where the secret was found.
struct Outcomes {
    found: Option<(Found, Option<PathBuf>)>,
    tried: u64,
    elapsed: Duration,
}

/// Line breaks in `buf`: its candidates, for the progress line (blank lines
/// are rare enough not to matter there).
fn newlines(buf: &[u8]) -> u64 {
    buf.iter().filter(|&&b| b == b'\n').count() as u64
}

struct Searcher<'a> {
    search: Search<'a>,
    progress: &'a Progress,
    phase: Mutex<Phase>,
}

impl Searcher<'_> {
    fn begin(&self, label: &str, bytes: u64, candidates: u64) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        phase.bytes_before += phase.piece_bytes;
        phase.label = label.to_owned();
        phase.piece_bytes = bytes;
        phase.piece_candidates = candidates;
        phase.tried_before = self.progress.tried();
    }

    /// Every source in order: empty, bundled, the wordlists, the hints.
    fn all(
        &self,
        args: &AuditArgs,
        hint_buf: &[u8],
        bundled_bytes: u64,
    ) -> Result<Option<(Found, Option<PathBuf>)>> {
        self.begin("the empty secret", 1, 1);
        if let Some(found) = self.search.empty() {
            return Ok(Some((found, None)));
        }
        let bundled = WeakSecrets::get().entries();
        self.begin("bundled list", bundled_bytes, bundled.len() as u64);
        if let Some(found) = self.search.bundled() {
            return Ok(Some((found, None)));
        }
        for path in &args.wordlist {
            if let Some(found) = self.wordlist(path)? {
                return Ok(Some((found, Some(path.clone()))));
            }
        }
        self.begin("hint mutations", hint_buf.len() as u64, newlines(hint_buf));
        Ok(self
            .search
            .lines(hint_buf, Source::Hint)
            .map(|found| (found, None)))
    }

    /// Searches a wordlist file piece by piece; a find's index becomes its line.
    fn wordlist(&self, path: &Path) -> Result<Option<Found>> {
        let mut file = File::open(path)
            .with_context(|| format!("cannot open the wordlist {}", path.display()))?;
        let name = path.display().to_string();
        let mut carry: Vec<u8> = Vec::new();
        let mut lines_before = 0u64;
        loop {
            let mut piece = std::mem::take(&mut carry);
            piece.reserve(CHUNK_BYTES);
            let read = (&mut file)
                .take(CHUNK_BYTES as u64)
                .read_to_end(&mut piece)
                .with_context(|| format!("cannot read the wordlist {name}"))?;
            let at_end = read < CHUNK_BYTES;
            // Search whole lines now; keep a partial last line for the next piece.
            let cut = if at_end {
                piece.len()
            } else {
                piece
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(piece.len(), |p| p + 1)
            };
            carry = piece.split_off(cut);
            let lines = newlines(&piece);
            self.begin(&name, piece.len() as u64, lines);
            if let Some(mut found) = self.search.lines(&piece, Source::Wordlist) {
                found.index += lines_before;
                return Ok(Some(found));
            }
            lines_before += lines;
            if at_end {
                return Ok(None);
            }
        }
    }
}

/// The bundled list's size as lines of text, for the progress line.
fn bundled_bytes() -> u64 {
    WeakSecrets::get()
        .entries()
        .iter()
        .map(|e| e.len() as u64 + 1)
        .sum()
}

fn run_search(args: &AuditArgs, target: &HmacTarget) -> Result<Outcomes> {
    let hints: Vec<&str> = args.hint.iter().map(String::as_str).collect();
    let hint_buf = hint_candidates(&hints);
    let bundled_bytes = bundled_bytes();
    let mut total_bytes = 1 + bundled_bytes + hint_buf.len() as u64;
    for path in &args.wordlist {
        let meta = std::fs::metadata(path)
            .with_context(|| format!("cannot read the wordlist {}", path.display()))?;
        total_bytes += meta.len();
    }
    let progress = Progress::new();
    let threads = args.threads.unwrap_or_else(Search::all_cores);
    let searcher = Searcher {
        search: Search::new(target, threads, &progress),
        progress: &progress,
        phase: Mutex::new(Phase::default()),
    };
    let started = Instant::now();
    let found = std::thread::scope(|scope| -> Result<_> {
        let (phase, progress) = (&searcher.phase, &progress);
        let bar = Bar::start(scope, !args.json, move || {
            let phase = phase.lock().unwrap_or_else(PoisonError::into_inner);
            let tried = progress.tried();
            let in_piece = tried.saturating_sub(phase.tried_before);
            // Display only: f64 precision is ample for a percentage.
            #[allow(clippy::cast_precision_loss)]
            let fraction = (phase.bytes_before as f64
                + phase.piece_bytes as f64
                    * (in_piece as f64 / phase.piece_candidates.max(1) as f64).min(1.0))
                / total_bytes as f64;
            (
                Some(fraction),
                format!("{} tried  {}", progress::count(tried), phase.label),
            )
        });
        let result = searcher.all(args, &hint_buf, bundled_bytes);
        bar.finish();
        result
    })?;
    Ok(Outcomes {
        found,
        tried: progress.tried(),
        elapsed: started.elapsed(),
    })
}

/// The secret as text when it is UTF-8, otherwise as hex, with the JSON member to hold it.
fn shown_secret(secret: &[u8]) -> (&'static str, zeroize::Zeroizing<String>) {
    match std::str::from_utf8(secret) {
        Ok(text) => ("secret", zeroize::Zeroizing::new(text.to_owned())),
        Err(_) => (
            "secret_hex",
            zeroize::Zeroizing::new(jwtkeep_core::encoding::hex_encode(secret)),
        ),
    }
}

/// Where a secret was found, in words.
fn found_where(found: &Found, wordlist: Option<&Path>) -> String {
    match (found.source, wordlist) {
        (Source::Empty, _) => "it is the empty secret".to_owned(),
        (Source::Bundled, _) => format!(
            "it is on jwtkeep's bundled list of known-weak JWT secrets (entry {})",
            found.index + 1
        ),
        (Source::Wordlist, Some(path)) => {
            format!(
                "it is in the wordlist {} (line {})",
                path.display(),
                found.index + 1
            )
        }
        (Source::Hint, _) => "it is a mutation of one of your --hint words".to_owned(),
        _ => "it was found".to_owned(),
    }
}

/// The search's outcome as JSON and as text.
fn describe(args: &AuditArgs, target: &HmacTarget, outcome: &Outcomes) -> (Value, String) {
    let micros = u64::try_from(outcome.elapsed.as_micros()).unwrap_or(u64::MAX);
    let rate = outcome.tried.saturating_mul(1_000_000) / micros.max(1);
    let stats = format!(
        "{} candidates in {:.2} s ({}/s)",
        outcome.tried,
        outcome.elapsed.as_secs_f64(),
        progress::count(rate)
    );
    let mut j = serde_json::Map::new();
    j.insert("applicable".into(), json!(true));
    j.insert("found".into(), json!(outcome.found.is_some()));
    j.insert("candidates_tried".into(), json!(outcome.tried));
    j.insert("seconds".into(), json!(outcome.elapsed.as_secs_f64()));
    let Some((found, wordlist)) = &outcome.found else {
        return (
            Value::Object(j),
            output::as_invoked(&format!("weak secret: not found among {stats}.\n  Not finding it proves nothing about its strength: check the secret itself with `jwtkeep check`.\n")).into_owned(),
        );
    };
    j.insert("source".into(), json!(found.source.name()));
    match found.source {
        Source::Bundled => {
            j.insert("entry".into(), json!(found.index + 1));
        }
        Source::Wordlist => {
            let path = wordlist.as_ref().map(|p| p.display().to_string());
            j.insert("wordlist".into(), json!(path));
            j.insert("line".into(), json!(found.index + 1));
        }
        _ => {}
    }
    let text = format!(
        "weak secret: FOUND: {}.\n  The secret is known to attackers: anyone can forge any token signed with it.\n  Rotate it now (`jwtkeep gen secret --alg {}` makes a strong one), then revoke or let expire every token signed with the old one.\n",
        found_where(found, wordlist.as_deref()),
        target.alg().name()
    );
    // Before any secret is added: the hint names the program as invoked.
    let mut text = output::as_invoked(&text).into_owned();
    if args.show_secret {
        let (member, shown) = shown_secret(&found.secret);
        j.insert(member.into(), json!(shown.as_str()));
        text.push_str(&format!("  {member}: {}\n", shown.as_str()));
    } else {
        text.push_str("  (--show-secret prints it.)\n");
    }
    text.push_str(&format!("  searched {stats}\n"));
    (Value::Object(j), text)
}

/// Runs `audit`.
pub(crate) fn run(args: &AuditArgs) -> Result<Outcome> {
    if args.hint.len() > MAX_HINTS {
        anyhow::bail!(
            "{} --hint words given; at most {MAX_HINTS} are used: keep the likeliest",
            args.hint.len()
        );
    }
    if args
        .hint
        .iter()
        .any(|h| h.is_empty() || h.contains(['\n', '\r']))
    {
        anyhow::bail!("a --hint word is empty or holds a line break: give one word per --hint");
    }
    let token = token_text(args.token.as_deref())?;
    let decoded =
        decode_unverified(&token).map_err(|e| anyhow::anyhow!("cannot decode the token: {e}"))?;
    let alg = decoded
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("(none)")
        .to_owned();
    let lints = lint_token(&decoded, args.now.unwrap_or_else(now_unix));
    let serious = lints.iter().any(|l| l.severity >= Severity::Medium);

    let (weak_json, weak_text, found) = match HmacTarget::from_token(&token) {
        Err(
            err @ (TargetError::NotHmac(_)
            | TargetError::UnknownAlgorithm
            | TargetError::SignatureLength { .. }),
        ) => (
            json!({"applicable": false, "found": false, "reason": err.to_string()}),
            format!("weak secret: the search does not apply: {err}\n"),
            false,
        ),
        Err(err) => return Err(anyhow::anyhow!("cannot read the token's signature: {err}")),
        Ok(target) => {
            let outcome = run_search(args, &target)?;
            let (j, text) = describe(args, &target, &outcome);
            (j, text, outcome.found.is_some())
        }
    };

    if args.json {
        output::json(&json!({
            "verified": false,
            "alg": alg,
            "weak_secret": weak_json,
            "findings": lint_json(&lints),
        }))?;
    } else {
        let mut out = format!("UNVERIFIED {alg} token: nothing in it has been checked\n");
        out.push_str(&lint_text(&lints));
        out.push_str(&weak_text);
        output::stdout(&out)?;
    }
    Ok(if found || serious {
        Outcome::Finding
    } else {
        Outcome::Clean
    })
}
