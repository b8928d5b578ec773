//! `jwtkeep scan`: hard-coded and weak secrets and dangerous JWT code in a
//! source tree, as text, JSON or SARIF.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;

use anyhow::{Context as _, Result};
use jwtkeep_audit::scan::{
    patterns_of, sarif, GitFiles, Report, ScanProgress, Scanner, Triage, RULES,
};
use jwtkeep_core::strength::Severity;
use serde_json::{json, Value};

use crate::cli::{FailOn, ScanArgs, ScanFormat};
use crate::output::{self, Outcome};
use crate::progress::{self, Bar};

/// The files git tracks under `dir`, relative to it; `None` outside a work tree.
fn git_files(dir: &Path) -> Option<GitFiles> {
    let out = Command::new("git")
        .args(["ls-files", "-z", "--cached"])
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let tracked = out
        .stdout
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    Some(GitFiles { tracked })
}

/// Fingerprints recorded in an earlier JSON or SARIF output.
fn baseline(path: &Path) -> Result<HashSet<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the baseline {}", path.display()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "the baseline {} is not JSON ({e}): make it with `jwtkeep scan --format json > {}`",
            path.display(),
            path.display()
        )
    })?;
    let mut prints = HashSet::new();
    let own = doc.get("findings").and_then(Value::as_array);
    for f in own.into_iter().flatten() {
        if let Some(p) = f.get("fingerprint").and_then(Value::as_str) {
            prints.insert(p.to_owned());
        }
    }
    let runs = doc.get("runs").and_then(Value::as_array);
    for run in runs.into_iter().flatten() {
        for r in run
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(p) = r
                .pointer("/partialFingerprints/jwtkeep~1v1")
                .and_then(Value::as_str)
            {
                prints.insert(p.to_owned());
            }
        }
    }
    if own.is_none() && runs.is_none() {
        anyhow::bail!(
            "the baseline {} is neither `jwtkeep scan --format json` nor SARIF output",
            path.display()
        );
    }
    Ok(prints)
}

fn threshold(fail_on: FailOn) -> Option<Severity> {
    match fail_on {
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    }
}

fn summary(report: &Report, baselined: usize) -> String {
    let mut counts = [0usize; 4];
    for f in report.active() {
        let i = match f.severity {
            Severity::Critical => 0,
            Severity::High => 1,
            Severity::Medium => 2,
            Severity::Low => 3,
        };
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    let total: usize = counts.iter().sum();
    let suppressed = report.findings.len() - total;
    let [critical, high, medium, low] = counts;
    let mut text = format!(
        "{total} finding{} ({critical} critical, {high} high, {medium} medium, {low} low) in {} files ({} bytes)",
        if total == 1 { "" } else { "s" },
        report.files,
        progress::count(report.bytes)
    );
    if suppressed > 0 {
        text.push_str(&format!("; {suppressed} suppressed inline"));
    }
    if baselined > 0 {
        text.push_str(&format!("; {baselined} in the baseline"));
    }
    if report.skipped > 0 {
        text.push_str(&format!(
            "; {} binary or large files skipped",
            report.skipped
        ));
    }
    text
}

/// `scan --list-rules`: every rule, and with JSON its patterns.
fn list_rules(json_out: bool) -> Result<Outcome> {
    if json_out {
        let rules: Vec<Value> = RULES
            .iter()
            .map(|r| {
                let patterns: Vec<Value> = patterns_of(r.id)
                    .into_iter()
                    .map(|(langs, regex)| {
                        json!({
                            "languages": langs.iter().map(|l| l.name()).collect::<Vec<_>>(),
                            "extensions": langs.iter().flat_map(|l| l.extensions()).collect::<Vec<_>>(),
                            "regex": regex,
                        })
                    })
                    .collect();
                json!({"id": r.id, "severity": r.severity.name(), "title": r.title, "reason": r.reason, "fix": r.fix, "patterns": patterns})
            })
            .collect();
        output::json(&json!({ "rules": rules }))?;
    } else {
        let mut out = String::new();
        for r in RULES {
            out.push_str(&format!(
                "{:<30} {:<8} {}\n",
                r.id,
                r.severity.name(),
                r.title
            ));
        }
        output::stdout(&out)?;
    }
    Ok(Outcome::Clean)
}

/// Runs `scan`.
pub(crate) fn run(args: &ScanArgs) -> Result<Outcome> {
    let format = if args.json {
        ScanFormat::Json
    } else {
        args.format
    };
    if args.list_rules {
        return list_rules(format != ScanFormat::Text);
    }
    let root = &args.path;
    if !root.exists() {
        anyhow::bail!(
            "{} does not exist: give a directory to scan",
            root.display()
        );
    }
    let known = args.baseline.as_deref().map(baseline).transpose()?;
    let mut wordlists = Vec::new();
    for path in &args.wordlist {
        let words = std::fs::read(path).map_err(|e| {
            anyhow::anyhow!(
                "cannot read the wordlist {}: {e}: give a readable file of candidate secrets, one per line",
                path.display()
            )
        })?;
        wordlists.push(zeroize::Zeroizing::new(words));
    }
    let scanner = Scanner::new()?.with_triage(Triage {
        now: Some(args.now.unwrap_or_else(crate::clock::now_unix)),
        wordlists,
    });
    let git_dir = if root.is_dir() {
        root.as_path()
    } else {
        root.parent().unwrap_or(Path::new("."))
    };
    let git = git_files(git_dir);
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |n| n.get(),
    );
    let progress = ScanProgress::default();
    let mut report = std::thread::scope(|scope| {
        let counters = &progress;
        let bar = Bar::start(scope, format == ScanFormat::Text, move || {
            (
                None,
                format!(
                    "scanning: {} files, {} bytes",
                    counters.files.load(Ordering::Relaxed),
                    progress::count(counters.bytes.load(Ordering::Relaxed))
                ),
            )
        });
        let report = scanner.scan_tree(root, git.as_ref(), threads, counters);
        bar.finish();
        report
    })?;
    let baselined = known.as_ref().map_or(0, |k| report.apply_baseline(k));
    let failing =
        threshold(args.fail_on).is_some_and(|min| report.active().any(|f| f.severity >= min));

    match format {
        ScanFormat::Sarif => {
            let uri = std::fs::canonicalize(git_dir)
                .ok()
                .map(|p| format!("file://{}/", p.display()));
            output::json(&sarif(&report, uri.as_deref()))?;
        }
        ScanFormat::Json => {
            let findings: Vec<Value> = report
                .findings
                .iter()
                .map(|f| {
                    json!({
                        "rule": f.rule.id,
                        "severity": f.severity.name(),
                        "path": f.path,
                        "line": f.line,
                        "column": f.column,
                        "message": f.message,
                        "reason": f.rule.reason,
                        "fix": f.rule.fix,
                        "fingerprint": f.fingerprint,
                        "suppressed": f.suppressed,
                    })
                })
                .collect();
            output::json(&json!({
                "findings": findings,
                "files": report.files,
                "bytes": report.bytes,
                "skipped": report.skipped,
                "parsed": report.parsed,
                "baselined": baselined,
                "git": git.is_some(),
            }))?;
        }
        ScanFormat::Text => {
            let mut out = String::new();
            let mut explained = HashSet::new();
            for f in report.active() {
                out.push_str(&format!(
                    "{}:{}:{}: {} {}: {}\n",
                    f.path,
                    f.line,
                    f.column,
                    f.severity.name(),
                    f.rule.id,
                    f.message
                ));
                // Why and how to fix, the first time each rule appears.
                if explained.insert(f.rule.id) {
                    out.push_str(&format!(
                        "    why: {}\n    fix: {}\n",
                        f.rule.reason, f.rule.fix
                    ));
                }
            }
            out.push_str(&summary(&report, baselined));
            out.push('\n');
            if git.is_none() {
                out.push_str(
                    "(not a git work tree: files that git would track were not checked)\n",
                );
            }
            output::stdout(&out)?;
        }
    }
    Ok(if failing {
        Outcome::Finding
    } else {
        Outcome::Clean
    })
}
