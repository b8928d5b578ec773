//! Standard output and error, and the outcome a command reports.

use std::io::{self, Write as _};

use anyhow::Result;

/// What a command found, mapped to the exit code by `main`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing to report: exit 0.
    Clean,
    /// A finding or a rejection: exit 1.
    Finding,
}

/// Writes `text` to standard output.
pub(crate) fn stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes one line of pretty JSON to standard output.
pub(crate) fn json(value: &serde_json::Value) -> Result<()> {
    let mut text = zeroize::Zeroizing::new(serde_json::to_string_pretty(value)?);
    text.push('\n');
    stdout(&text)
}

/// Writes a warning to standard error.
pub(crate) fn warn(text: &str) {
    let _ = writeln!(io::stderr().lock(), "jwtkeep: warning: {text}");
}

/// Writes an informational line to standard error (stdout stays for data).
pub(crate) fn note(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// Writes one structured log record (a JSON object on one line) to standard error.
pub(crate) fn log_line(record: &serde_json::Value) {
    let _ = writeln!(io::stderr().lock(), "{record}");
}
