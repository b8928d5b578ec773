//! A scan report as SARIF 2.1.0, the format code-scanning services read.

use jwtkeep_core::strength::Severity;
use serde_json::{json, Value};

use super::{Report, RULES};

/// SARIF's level for a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` (a CVSS-like score) for a severity.
fn score(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// The report as one SARIF log with one run. `root_uri`, when given, is the
/// absolute `file://` URI of the scanned directory (ending in `/`); paths are
/// relative to it.
pub fn sarif(report: &Report, root_uri: Option<&str>) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.reason},
                "help": {"text": r.fix},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"security-severity": score(r.severity), "tags": ["security", "jwt"]},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = RULES.iter().position(|r| r.id == f.rule.id).unwrap_or(0);
            let mut result = json!({
                "ruleId": f.rule.id,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": {"text": format!("{}. Fix: {}", f.message, f.rule.fix)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path, "uriBaseId": "SRCROOT"},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }],
                "partialFingerprints": {"jwtkeep/v1": f.fingerprint},
                "properties": {"severity": f.severity.name()},
            });
            if let (Some(reason), Some(obj)) = (&f.suppressed, result.as_object_mut()) {
                obj.insert(
                    "suppressions".into(),
                    json!([{"kind": "inSource", "justification": reason}]),
                );
            }
            result
        })
        .collect();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "jwtkeep",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/jwtkeep/jwtkeep",
                "rules": rules,
            }
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
    });
    if let (Some(uri), Some(obj)) = (root_uri, run.as_object_mut()) {
        obj.insert(
            "originalUriBaseIds".into(),
            json!({"SRCROOT": {"uri": uri}}),
        );
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    })
}
