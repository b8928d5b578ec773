//! The source scan: a tree walked the way git sees it (`.gitignore`
//! honoured), each file matched against its language's rules in one pass,
//! configuration files read for weak secrets, and files that hold secrets by
//! their name checked against git.
//!
//! Speed comes from running all of a language's patterns as one automaton:
//! most files match nothing and cost one pass; only matches are looked at
//! closer.

mod config;
mod flow;
mod imports;
mod lifetime;
mod rules;
mod sarif;
mod syntax;
mod triage;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use jwtkeep_core::strength::Severity;
use regex::bytes::{Captures, Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use sha2::Digest as _;

pub use rules::{patterns_of, rule, Lang, RuleInfo, RULES};
pub use sarif::sarif;
pub use triage::{Triage, MAX_SEARCHED_TOKENS};

use config::{ConfigKind, ConfigPatterns, Judgement};
use rules::{Check, Pattern, PATTERNS};
use syntax::{Family, Grammar};

/// Files larger than this are skipped (minified bundles, data dumps).
pub const MAX_FILE_BYTES: u64 = 8 << 20;
/// A token lifetime above this is a finding.
pub const LONG_LIFETIME_SECS: u64 = 86_400;

/// Why a scan could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// A rule's pattern did not compile (a bug in jwtkeep).
    #[error("a built-in scan pattern does not compile: {0}")]
    Pattern(#[from] regex::Error),
    /// The path to scan does not exist or cannot be read.
    #[error("cannot read {path}: {source}")]
    Root {
        /// The path given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl ScanError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            ScanError::Pattern(_) => "scan_pattern",
            ScanError::Root { .. } => "scan_root",
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: &'static RuleInfo,
    /// How much it matters (a rule's severity, raised for weak literal secrets).
    pub severity: Severity,
    /// The file, relative to the scanned root, with `/` separators.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in Unicode code points.
    pub column: usize,
    /// What was found here (never quoting a secret).
    pub message: String,
    /// Stable across line moves: rule, file and the line's text, hashed.
    pub fingerprint: String,
    /// The reason given in an inline `jwtkeep:ignore RULE reason`, when suppressed.
    pub suppressed: Option<String>,
}

/// Everything a scan found.
#[derive(Debug, Default)]
pub struct Report {
    /// Findings, in path and line order (suppressed ones included, marked).
    pub findings: Vec<Finding>,
    /// Files read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Files skipped as binary or larger than [`MAX_FILE_BYTES`].
    pub skipped: u64,
    /// Files parsed for the dataflow (the rest had the pattern pass only).
    pub parsed: u64,
}

impl Report {
    /// Removes findings whose fingerprint is in `baseline`; returns how many.
    pub fn apply_baseline(&mut self, baseline: &HashSet<String>) -> usize {
        let before = self.findings.len();
        self.findings.retain(|f| !baseline.contains(&f.fingerprint));
        before - self.findings.len()
    }

    /// Findings that are not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }
}

/// Counters a running scan updates, for whoever shows progress.
#[derive(Debug, Default)]
pub struct ScanProgress {
    /// Files read so far.
    pub files: AtomicU64,
    /// Bytes read so far.
    pub bytes: AtomicU64,
}

/// What git says about the tree, when it is a git work tree.
#[derive(Debug, Default)]
pub struct GitFiles {
    /// Tracked paths, relative to the scanned root, with `/` separators.
    pub tracked: HashSet<String>,
}

/// One language's patterns, compiled.
#[derive(Debug)]
struct LangRules {
    set: RegexSet,
    regexes: Vec<(Regex, &'static Pattern)>,
}

/// The compiled rules; build once, scan many files (from many threads).
#[derive(Debug)]
pub struct Scanner {
    langs: Vec<(Lang, LangRules)>,
    config: ConfigPatterns,
    /// Per language family: what a file must mention to be parsed.
    selectors: Vec<(Family, Regex)>,
    /// How committed tokens are judged.
    triage: Triage,
}

/// What a file must mention to be parsed: a JWT library, or (where a rule
/// looks at them) cookies. Files without a match keep the pattern pass only.
const SELECTORS: &[(Family, &str)] = &[
    (Family::Js, r"(?i)jwt|jsonwebtoken|jose|cookie"),
    (Family::Python, r"(?i)jwt|jose|set_cookie"),
    (Family::Go, r"(?i)jwt|http\.Cookie"),
    (Family::Jvm, r"(?i)jwt|SecretKeySpec|MACSigner"),
    (Family::Ruby, r"(?i)jwt"),
    (Family::Rust, r"(?i)jwt|jsonwebtoken"),
];

/// Rules that still apply in test code: what is committed stays committed.
const RULES_IN_TESTS: &[&str] = &[
    "jwt-committed-token",
    "private-key-committed",
    "secret-file-not-ignored",
    "weak-secret-in-config",
];

/// What one file yielded (no `Debug`: it holds secrets).
#[derive(Default)]
pub(crate) struct FileResult {
    pub(crate) findings: Vec<Finding>,
    /// Secrets set in the file (literals that reached a JWT key, values in
    /// configuration files), for the committed-token triage.
    pub(crate) secrets: Vec<triage::SecretAt>,
    /// The committed tokens behind its `jwt-committed-token` findings.
    pub(crate) tokens: Vec<triage::TokenAt>,
    /// Key arguments that name another file's values.
    pub(crate) imports: Vec<flow::Imported>,
    /// Whether it was parsed.
    pub(crate) parsed: bool,
}

fn builder_options(b: &mut RegexBuilder) -> &mut RegexBuilder {
    b.unicode(false)
        .size_limit(32 << 20)
        .dfa_size_limit(64 << 20)
}

impl Scanner {
    /// Compiles every rule.
    pub fn new() -> Result<Scanner, ScanError> {
        let mut langs = Vec::new();
        for lang in Lang::ALL {
            let patterns: Vec<&'static Pattern> = PATTERNS
                .iter()
                .filter(|p| p.langs.contains(&lang))
                .collect();
            let set = RegexSetBuilder::new(patterns.iter().map(|p| p.regex))
                .unicode(false)
                .size_limit(64 << 20)
                .dfa_size_limit(128 << 20)
                .build()?;
            let regexes = patterns
                .iter()
                .map(|p| {
                    Ok((
                        builder_options(&mut RegexBuilder::new(p.regex)).build()?,
                        *p,
                    ))
                })
                .collect::<Result<Vec<_>, regex::Error>>()?;
            langs.push((lang, LangRules { set, regexes }));
        }
        let selectors = SELECTORS
            .iter()
            .map(|(family, re)| {
                Ok((
                    *family,
                    builder_options(&mut RegexBuilder::new(re)).build()?,
                ))
            })
            .collect::<Result<Vec<_>, regex::Error>>()?;
        Ok(Scanner {
            langs,
            config: ConfigPatterns::new()?,
            selectors,
            triage: Triage::default(),
        })
    }

    /// Judges committed tokens with these settings (the time, wordlists).
    #[must_use]
    pub fn with_triage(mut self, triage: Triage) -> Scanner {
        self.triage = triage;
        self
    }

    fn rules_for(&self, lang: Lang) -> Option<&LangRules> {
        self.langs.iter().find(|(l, _)| *l == lang).map(|(_, r)| r)
    }

    /// Scans one file's text; `path` is how findings name it.
    /// Committed tokens are judged against the secrets of this file only.
    pub fn scan_text(&self, path: &str, text: &[u8]) -> Vec<Finding> {
        let mut file = self.scan_file(path, text);
        triage::apply(
            &mut file.findings,
            &file.tokens,
            &file.secrets,
            &self.triage,
            1,
        );
        file.findings
    }

    /// Whether a file of `family` is worth parsing.
    fn selected(&self, family: Family, text: &[u8]) -> bool {
        self.selectors
            .iter()
            .any(|(f, re)| *f == family && re.is_match(text))
    }

    /// Scans one file: its findings, and the secrets that reached a key.
    pub(crate) fn scan_file(&self, path: &str, text: &[u8]) -> FileResult {
        let mut file = FileScan::new(path, text);
        let mut secrets: Vec<(usize, zeroize::Zeroizing<Vec<u8>>)> = Vec::new();
        let mut parsed = false;
        let mut imports = Vec::new();
        let as_path = Path::new(path);
        if let Some(rules) = self.rules_for(Lang::of(as_path)) {
            for index in rules.set.matches(text).iter() {
                if let Some((regex, pattern)) = rules.regexes.get(index) {
                    file.apply(regex, pattern);
                }
            }
        }
        if let Some(kind) = config::kind_of(as_path) {
            if kind != ConfigKind::KeyFile {
                for weak in self.config.weak_settings(kind, text, &mut secrets) {
                    let severity = if weak.known {
                        Severity::Critical
                    } else if kind == ConfigKind::EnvTemplate {
                        Severity::Medium
                    } else {
                        Severity::High
                    };
                    file.push(
                        "weak-secret-in-config",
                        severity,
                        weak.offset,
                        format!("{} is weak: {}", weak.name, weak.reason),
                    );
                }
            }
        }
        if let Some(grammar) = Grammar::of(as_path) {
            if self.selected(grammar.family(), text) {
                if let Some(module) = syntax::parse(grammar, text) {
                    parsed = true;
                    let flow = flow::Flow::new(&module, grammar.family(), text);
                    let mut hits = Vec::new();
                    flow.secrets(path, &mut hits, &mut secrets, &mut imports);
                    flow.expiry(&mut hits);
                    flow.algorithms(&mut hits);
                    flow.cookies(&mut hits);
                    flow.unverified_claims(&mut hits);
                    file.refine(&module, hits);
                }
            }
        }
        let tokens = file.tokens();
        let secrets = if is_test_path(path) {
            Vec::new()
        } else {
            secrets
                .into_iter()
                .map(|(offset, secret)| triage::SecretAt {
                    path: path.to_owned(),
                    line: file.locate(offset).0,
                    secret,
                })
                .collect()
        };
        let mut findings = file.finish();
        if is_test_path(path) {
            findings.retain(|f| RULES_IN_TESTS.contains(&f.rule.id));
            imports.clear();
        }
        FileResult {
            findings,
            secrets,
            tokens,
            imports,
            parsed,
        }
    }

    /// Scans the tree at `root` on `threads` threads, honouring `.gitignore`
    /// (also outside a git repository) and skipping `.git`. With `git`, files
    /// that hold secrets by their name are checked against what git tracks.
    pub fn scan_tree(
        &self,
        root: &Path,
        git: Option<&GitFiles>,
        threads: usize,
        progress: &ScanProgress,
    ) -> Result<Report, ScanError> {
        std::fs::metadata(root).map_err(|source| ScanError::Root {
            path: root.to_path_buf(),
            source,
        })?;
        let findings = Mutex::new(Vec::new());
        let tokens = Mutex::new(Vec::new());
        let secrets = Mutex::new(Vec::new());
        let walked_secret_files = Mutex::new(HashSet::new());
        let (files, bytes, skipped) = (&progress.files, &progress.bytes, AtomicU64::new(0));
        let parsed = AtomicU64::new(0);
        let code_files = Mutex::new(HashSet::new());
        let imported = Mutex::new(Vec::new());
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .git_global(false)
            .require_git(false)
            .filter_entry(|e| e.file_name() != ".git")
            .threads(threads.max(1))
            .build_parallel();
        walker.run(|| {
            Box::new(|entry| {
                let Ok(entry) = entry else {
                    return ignore::WalkState::Continue;
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return ignore::WalkState::Continue;
                }
                let rel = relative(root, entry.path());
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                if size > MAX_FILE_BYTES {
                    skipped.fetch_add(1, Ordering::Relaxed);
                    return ignore::WalkState::Continue;
                }
                let Ok(text) = std::fs::read(entry.path()) else {
                    skipped.fetch_add(1, Ordering::Relaxed);
                    return ignore::WalkState::Continue;
                };
                if text.iter().take(8000).any(|&b| b == 0) {
                    skipped.fetch_add(1, Ordering::Relaxed);
                    return ignore::WalkState::Continue;
                }
                files.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
                let file = self.scan_file(&rel, &text);
                if file.parsed {
                    parsed.fetch_add(1, Ordering::Relaxed);
                }
                let mut found = file.findings;
                if Grammar::of(Path::new(&rel)).is_some() {
                    lock(&code_files).insert(rel.clone());
                }
                if !file.imports.is_empty() {
                    lock(&imported).extend(file.imports);
                }
                lock(&tokens).extend(file.tokens);
                lock(&secrets).extend(file.secrets);
                if let Some(git) = git {
                    if secret_file(Path::new(&rel), &text) {
                        let how = if git.tracked.contains(&rel) {
                            "is tracked by git"
                        } else {
                            "is not git-ignored"
                        };
                        found.extend(file_finding(&rel, how));
                        lock(&walked_secret_files).insert(rel);
                    }
                }
                lock(&findings).extend(found);
                ignore::WalkState::Continue
            })
        });
        let mut findings = findings.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(git) = git {
            // Ignored but still tracked: the walker skipped them, git has them.
            let walked = walked_secret_files
                .into_inner()
                .unwrap_or_else(|e| e.into_inner());
            for rel in &git.tracked {
                let path = root.join(rel);
                if walked.contains(rel) || config::kind_of(Path::new(rel)).is_none() {
                    continue;
                }
                let text = std::fs::read(&path).unwrap_or_default();
                if secret_file(Path::new(rel), &text) {
                    findings.extend(file_finding(
                        rel,
                        "is tracked by git although .gitignore lists it (ignoring does not untrack)",
                    ));
                }
            }
        }
        let tokens = tokens.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut secrets = secrets.into_inner().unwrap_or_else(|e| e.into_inner());
        let code_files = code_files.into_inner().unwrap_or_else(|e| e.into_inner());
        let imported = imported.into_inner().unwrap_or_else(|e| e.into_inner());
        imports::follow(
            root,
            &code_files,
            imported,
            threads,
            &mut findings,
            &mut secrets,
        );
        triage::apply(&mut findings, &tokens, &secrets, &self.triage, threads);
        findings.sort_by(|a, b| {
            (&a.path, a.line, a.column, a.rule.id).cmp(&(&b.path, b.line, b.column, b.rule.id))
        });
        Ok(Report {
            findings,
            files: files.load(Ordering::Relaxed),
            bytes: bytes.load(Ordering::Relaxed),
            skipped: skipped.into_inner(),
            parsed: parsed.into_inner(),
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `path` relative to `root`, with `/` separators.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let text = rel.to_string_lossy().replace('\\', "/");
    if text.is_empty() {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        text
    }
}

/// Whether a file holds secrets by its name: `.env` files (not templates),
/// and key files with a private key.
fn secret_file(path: &Path, text: &[u8]) -> bool {
    match config::kind_of(path) {
        Some(ConfigKind::Env) => true,
        Some(ConfigKind::KeyFile) => config::holds_private_key(path, text),
        _ => false,
    }
}

fn file_finding(rel: &str, how: &str) -> Option<Finding> {
    let rule = rules::rule("secret-file-not-ignored")?;
    Some(Finding {
        rule,
        severity: rule.severity,
        path: rel.to_owned(),
        line: 1,
        column: 1,
        message: format!("{rel} holds secrets and {how}"),
        fingerprint: fingerprint(rule.id, rel, "(file)"),
        suppressed: None,
    })
}

/// The stable fingerprint of a finding.
fn fingerprint(rule: &str, path: &str, line_text: &str) -> String {
    let mut hash = sha2::Sha256::new();
    for part in [rule, path, line_text.trim()] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    jwtkeep_core::encoding::hex_encode(digest.get(..8).unwrap_or_default())
}

/// The findings of one file under construction.
struct FileScan<'t> {
    path: &'t str,
    text: &'t [u8],
    line_starts: Option<Vec<usize>>,
    /// Each finding, with the byte offset it is at.
    findings: Vec<(usize, Finding)>,
}

impl<'t> FileScan<'t> {
    fn new(path: &'t str, text: &'t [u8]) -> Self {
        FileScan {
            path,
            text,
            line_starts: None,
            findings: Vec::new(),
        }
    }

    /// Where each line starts, computed on the first finding.
    fn line_starts(&mut self) -> &[usize] {
        let text = self.text;
        self.line_starts.get_or_insert_with(|| {
            std::iter::once(0)
                .chain(
                    text.iter()
                        .enumerate()
                        .filter(|(_, &b)| b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .collect()
        })
    }

    /// The text of 1-based `line` (empty when there is no such line).
    fn line_text(&mut self, line: usize) -> &'t [u8] {
        let text = self.text;
        let starts = self.line_starts();
        let (Some(&start), end) = (starts.get(line.wrapping_sub(1)), starts.get(line)) else {
            return &[];
        };
        let end = end.map_or(text.len(), |e| e.saturating_sub(1));
        text.get(start..end).unwrap_or_default()
    }

    /// The 1-based line and column of `offset`, and the line's text.
    fn locate(&mut self, offset: usize) -> (usize, usize, &'t [u8]) {
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s <= offset).max(1);
        let start = starts.get(line - 1).copied().unwrap_or(0);
        let prefix = self.text.get(start..offset).unwrap_or_default();
        let column = String::from_utf8_lossy(prefix).chars().count() + 1;
        (line, column, self.line_text(line))
    }

    fn push(&mut self, rule_id: &'static str, severity: Severity, offset: usize, message: String) {
        let Some(rule) = rules::rule(rule_id) else {
            return;
        };
        let (line, column, line_text) = self.locate(offset);
        let suppressed = suppression(line_text, rule.id)
            .or_else(|| suppression(self.line_text(line - 1), rule.id));
        let finding = Finding {
            rule,
            severity,
            path: self.path.to_owned(),
            line,
            column,
            message,
            fingerprint: fingerprint(rule.id, self.path, &String::from_utf8_lossy(line_text)),
            suppressed,
        };
        self.findings.push((offset, finding));
    }

    /// Adds what the parse found. Pattern findings inside comments and
    /// multi-line strings go (a commented-out call, an example in a
    /// docstring, is not code), except for committed tokens and keys;
    /// a pattern finding on a line where the dataflow found the same rule
    /// gives way to the dataflow's, which says where the value goes.
    fn refine(&mut self, module: &syntax::Module, hits: Vec<flow::Hit>) {
        self.findings.retain(|(offset, f)| {
            matches!(f.rule.id, "jwt-committed-token" | "private-key-committed")
                || !module.in_comment(*offset)
        });
        for hit in hits {
            let Some(rule) = rules::rule(hit.rule) else {
                continue;
            };
            let (line, _, _) = self.locate(hit.at);
            self.findings
                .retain(|(_, f)| !(f.rule.id == rule.id && f.line == line));
            self.push(
                hit.rule,
                hit.severity.unwrap_or(rule.severity),
                hit.at,
                hit.message,
            );
        }
    }

    fn apply(&mut self, regex: &Regex, pattern: &'static Pattern) {
        if let Some(required) = pattern.requires {
            if !contains_ignore_case(self.text, required.as_bytes()) {
                return;
            }
        }
        let rule = rules::rule(pattern.rule);
        let Some(rule) = rule else { return };
        let text = self.text;
        for caps in regex.captures_iter(text) {
            let Some(whole) = caps.get(0) else { continue };
            if let Some((severity, message)) =
                evaluate(pattern.check, rule, &caps, text, whole.end())
            {
                self.push(pattern.rule, severity, whole.start(), message);
            }
        }
    }

    /// The tokens behind the committed-token findings.
    fn tokens(&self) -> Vec<triage::TokenAt> {
        self.findings
            .iter()
            .filter(|(_, f)| f.rule.id == "jwt-committed-token")
            .filter_map(|(offset, f)| {
                Some(triage::TokenAt {
                    path: f.path.clone(),
                    line: f.line,
                    column: f.column,
                    token: triage::token_at(self.text, *offset)?,
                })
            })
            .collect()
    }

    fn finish(self) -> Vec<Finding> {
        let mut findings: Vec<Finding> = self.findings.into_iter().map(|(_, f)| f).collect();
        // With the signature check off, a missing algorithms list is moot.
        let unverified: HashSet<usize> = findings
            .iter()
            .filter(|f| f.rule.id == "jwt-decode-without-verify")
            .map(|f| f.line)
            .collect();
        findings.retain(|f| {
            !(f.rule.id == "jwt-verify-without-algorithms" && unverified.contains(&f.line))
        });
        findings.sort_by(|a, b| (a.line, a.column, a.rule.id).cmp(&(b.line, b.column, b.rule.id)));
        // Two patterns of one rule may find the same place.
        findings
            .dedup_by(|a, b| a.rule.id == b.rule.id && a.line == b.line && a.column == b.column);
        findings
    }
}

/// Whether a path is test code: a test directory, or a test file by its
/// language's naming convention. Test code signs with test secrets and
/// exercises the dangerous calls on purpose.
fn is_test_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let mut parts = lower.split('/');
    let file = parts.next_back().unwrap_or_default();
    let in_test_dir = parts.any(|d| {
        matches!(
            d,
            "test"
                | "tests"
                | "__tests__"
                | "spec"
                | "specs"
                | "testdata"
                | "fixtures"
                | "__fixtures__"
                | "__mocks__"
                | "e2e"
                | "testing"
        )
    });
    let stem = file.split('.').next().unwrap_or_default();
    in_test_dir
        || stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_spec")
        || stem.ends_with("test") && path.rsplit('/').next().is_some_and(|f| f.contains("Test"))
        || file.contains(".test.")
        || file.contains(".spec.")
        || stem == "conftest"
}

/// Whether `line` carries `jwtkeep:ignore RULE reason` for `rule`; the reason.
fn suppression(line: &[u8], rule: &str) -> Option<String> {
    const MARK: &[u8] = b"jwtkeep:ignore";
    let at = line.windows(MARK.len()).position(|w| w == MARK)?;
    let rest = String::from_utf8_lossy(line.get(at + MARK.len()..)?).into_owned();
    let rest = rest.trim_start();
    let (ids, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if !ids.split(',').any(|id| id == rule) {
        return None;
    }
    let reason = reason
        .trim()
        .trim_end_matches("*/")
        .trim_end_matches("-->")
        .trim_end_matches("#}")
        .trim();
    Some(if reason.is_empty() {
        "(no reason given)".to_owned()
    } else {
        reason.to_owned()
    })
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The text of the call whose opening bracket ends at `open_end`, up to its
/// closing bracket (or 4 KiB), string literals included.
fn call_args(text: &[u8], open_end: usize) -> &[u8] {
    let rest = text.get(open_end..).unwrap_or_default();
    let rest = rest.get(..rest.len().min(4096)).unwrap_or_default();
    let mut depth = 1usize;
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (i, &b) in rest.iter().enumerate() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == q {
                quote = None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' | b'`' => quote = Some(b),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return rest.get(..i).unwrap_or_default();
                }
            }
            _ => {}
        }
    }
    rest
}

/// How many arguments a call's text holds (top-level commas plus one).
fn top_level_args(args: &[u8]) -> usize {
    let code = without_strings(args);
    let mut depth = 0usize;
    let mut count = usize::from(code.iter().any(|b| !b.is_ascii_whitespace()));
    for b in code {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => count += 1,
            _ => {}
        }
    }
    count
}

/// `args` with the text of string literals removed (JS template
/// placeholders `${...}` kept).
fn without_strings(args: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(args.len());
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    let mut in_placeholder = 0usize;
    let mut prev = 0u8;
    for &b in args {
        match quote {
            None => {
                if matches!(b, b'"' | b'\'' | b'`') {
                    quote = Some(b);
                    out.push(b' ');
                } else {
                    out.push(b);
                }
            }
            Some(q) => {
                if in_placeholder > 0 {
                    match b {
                        b'{' => in_placeholder += 1,
                        b'}' => in_placeholder -= 1,
                        _ => {}
                    }
                    out.push(if in_placeholder > 0 { b } else { b' ' });
                } else if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == q {
                    quote = None;
                } else if q == b'`' && b == b'{' && prev == b'$' {
                    in_placeholder = 1;
                    out.push(b' ');
                }
            }
        }
        prev = b;
    }
    out
}

/// Whether code (strings removed) names a token or a secret: an identifier
/// with token, jwt, secret or bearer in it that is not about one (a count, a
/// type, an expiry, an id...).
fn names_secret(code: &[u8]) -> bool {
    const ABOUT: [&[u8]; 11] = [
        b"count",
        b"len",
        b"size",
        b"type",
        b"expir",
        b"ttl",
        b"name",
        b"kind",
        b"url",
        b"endpoint",
        b"path",
    ];
    let is_ident = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let mut start = 0;
    while start < code.len() {
        let rest = code.get(start..).unwrap_or_default();
        let len = rest.iter().take_while(|b| is_ident(b)).count();
        if len == 0 {
            start += 1;
            continue;
        }
        let word = rest.get(..len).unwrap_or_default();
        let before = start.checked_sub(1).and_then(|i| code.get(i)).copied();
        let after = code.get(start + len..).unwrap_or_default();
        start += len;
        // `$token` is a macro variable; `.token()` a method that, in event
        // loops and parsers, has nothing to do with auth.
        if before == Some(b'$')
            || (before == Some(b'.') && word == b"token" && after.starts_with(b"()"))
        {
            continue;
        }
        let w = word.to_ascii_lowercase();
        let has = |s: &[u8]| w.windows(s.len()).any(|x| x == s);
        let names = has(b"token")
            || has(b"jwt")
            || has(b"secret")
            || has(b"bearer")
            || w == b"authorization";
        let about = ABOUT.iter().any(|x| has(x))
            || w.ends_with(b"id")
            || w == b"tokens"
            || w.starts_with(b"tokeniz");
        if names && !about {
            return true;
        }
    }
    false
}

/// Decides whether a match is a finding, and with what severity and message.
fn evaluate(
    check: Check,
    rule: &'static RuleInfo,
    caps: &Captures<'_>,
    text: &[u8],
    match_end: usize,
) -> Option<(Severity, String)> {
    let group = |name: &str| {
        caps.name(name)
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
    };
    match check {
        Check::Always => Some((rule.severity, rule.title.to_owned())),
        Check::Secret => {
            let literal = group("sq")
                .or_else(|| group("dq"))
                .or_else(|| group("bq"))?;
            match config::judge(&literal) {
                Judgement::Reference => None,
                Judgement::Weak { reason, .. } => Some((
                    Severity::Critical,
                    format!("{}, and it is weak: {reason}", rule.title),
                )),
                Judgement::Strong => Some((rule.severity, rule.title.to_owned())),
            }
        }
        Check::ArgsLack(word) => {
            let args = call_args(text, match_end);
            let word = word.as_bytes();
            let in_args = args.windows(word.len()).any(|w| w == word);
            // Options passed by name (a third argument that is not a literal
            // object) may be set elsewhere in the file.
            let options_by_name = top_level_args(args) >= 3 && !args.contains(&b'{');
            let options_elsewhere = options_by_name && text.windows(word.len()).any(|w| w == word);
            (!in_args && !options_elsewhere).then(|| (rule.severity, rule.title.to_owned()))
        }
        Check::ArgsNameSecret => {
            let args = call_args(text, match_end);
            names_secret(&without_strings(args)).then(|| (rule.severity, rule.title.to_owned()))
        }
        Check::Lifetime(unit) => {
            let secs = if let Some(d) = group("dur") {
                lifetime::from_ms_text(&d)
            } else if let Some(n) = group("num") {
                lifetime::from_product(&n, unit)
            } else if let Some(td) = group("td") {
                lifetime::from_timedelta(&td)
            } else if let Some(go) = group("go") {
                lifetime::from_go(&go)
            } else if let (Some(u), Some(n)) = (group("unit"), group("n")) {
                lifetime::from_unit_and_number(&u, &n)
            } else {
                None
            }?;
            (secs > LONG_LIFETIME_SECS).then(|| {
                (
                    rule.severity,
                    format!("{}: {}", rule.title, human_duration(secs)),
                )
            })
        }
        Check::Above(bound) => {
            let n: u64 = group("n")?.replace('_', "").parse().ok()?;
            (n > bound).then(|| {
                (
                    Severity::Medium,
                    format!(
                        "{}: a leeway of {} s lets expired tokens through",
                        rule.title, n
                    ),
                )
            })
        }
    }
}

fn human_duration(secs: u64) -> String {
    if secs >= 2 * 86_400 {
        format!("{} days", secs / 86_400)
    } else {
        format!("{} hours", secs / 3600)
    }
}

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;
