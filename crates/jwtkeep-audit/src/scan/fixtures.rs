//! The labelled fixture set: recall and precision of `scan` on code written
//! the way tutorials write it, in every language it parses.
//!
//! Each fixture marks the findings it must produce with a comment on the
//! line, `jwtkeep:expect RULE-ID`; a fixture without a mark must stay silent
//! (look-alikes: secrets from the environment or from files, references,
//! commented-out code, docstrings, test code, documentation). A finding on a
//! marked line with the marked rule is a true positive; any other finding is
//! a false positive; a mark without its finding is a miss.
//!
//! `cargo test -p jwtkeep-audit --lib fixtures -- --nocapture` prints the table.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_precision_loss
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{ScanProgress, Scanner, Triage};

const MARK: &str = "jwtkeep:expect";

/// `(path, line, rule)` marked in the fixtures.
fn expected(root: &Path) -> BTreeSet<(String, usize, String)> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                for part in line.split(MARK).skip(1) {
                    if let Some(rule) = part.split_whitespace().next() {
                        out.insert((rel.clone(), i + 1, rule.to_owned()));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn recall_and_precision_on_the_labelled_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scan-fixtures");
    let expected = expected(&root);
    let scanner = Scanner::new().unwrap().with_triage(Triage {
        now: Some(1_800_000_000),
        wordlists: Vec::new(),
    });
    let report = scanner
        .scan_tree(&root, None, 2, &ScanProgress::default())
        .unwrap();
    let found: BTreeSet<(String, usize, String)> = report
        .active()
        .map(|f| (f.path.clone(), f.line, f.rule.id.to_owned()))
        .collect();
    let files: BTreeSet<&str> = found
        .iter()
        .chain(&expected)
        .map(|(p, _, _)| p.as_str())
        .collect();
    assert!(report.files >= 60, "only {} fixture files", report.files);

    // Per language (the fixture's top directory): true positives, misses, false positives.
    let mut table: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    let lang = |p: &str| p.split('/').next().unwrap_or("").to_owned();
    let langs: BTreeMap<String, ()> = files.iter().map(|p| (lang(p), ())).collect();
    for l in langs.keys() {
        table.insert(l.as_str(), [0; 3]);
    }
    for e in &expected {
        let row = table.get_mut(lang(&e.0).as_str()).unwrap();
        if found.contains(e) {
            row[0] += 1;
        } else {
            row[1] += 1;
            println!("missed: {}:{} {}", e.0, e.1, e.2);
        }
    }
    for f in &found {
        if !expected.contains(f) {
            table.get_mut(lang(&f.0).as_str()).unwrap()[2] += 1;
            println!("false positive: {}:{} {}", f.0, f.1, f.2);
        }
    }
    let [tp, missed, fp] = table
        .values()
        .fold([0; 3], |a, r| [a[0] + r[0], a[1] + r[1], a[2] + r[2]]);
    println!("{:<6} {:>4} {:>6} {:>6}", "lang", "tp", "missed", "false+");
    for (l, [t, m, f]) in &table {
        println!("{l:<6} {t:>4} {m:>6} {f:>6}");
    }
    let recall = tp as f64 / (tp + missed) as f64;
    let precision = tp as f64 / (tp + fp) as f64;
    println!(
        "{} files, {} expected findings: recall {:.1}%, precision {:.1}%",
        report.files,
        tp + missed,
        recall * 100.0,
        precision * 100.0
    );
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
    assert!(precision >= 0.95, "precision {precision:.3} < 0.95");
}
