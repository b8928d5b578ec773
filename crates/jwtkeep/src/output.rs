//! Standard output and error, and the outcome a command reports.

use std::borrow::Cow;
use std::io::{self, Write as _};
use std::sync::OnceLock;

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

/// The program as the user invoked it, for the commands hints suggest: the
/// path typed when it was run by path (`./target/release/jwtkeep`, where
/// `jwtkeep` alone would not be found), else `jwtkeep`.
pub(crate) fn program() -> &'static str {
    static PROGRAM: OnceLock<String> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        std::env::args_os()
            .next()
            .and_then(|arg| arg.into_string().ok())
            .filter(|arg| arg.contains('/'))
            .unwrap_or_else(|| "jwtkeep".to_owned())
    })
}

/// `text` with the commands its hints suggest (`` `jwtkeep ...` ``) naming
/// the program as it was invoked.
pub(crate) fn as_invoked(text: &str) -> Cow<'_, str> {
    let program = program();
    if program == "jwtkeep" || !text.contains("`jwtkeep ") {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.replace("`jwtkeep ", &format!("`{program} ")))
    }
}

/// Writes a warning to standard error.
pub(crate) fn warn(text: &str) {
    let _ = writeln!(
        io::stderr().lock(),
        "jwtkeep: warning: {}",
        as_invoked(text)
    );
}

/// Writes an informational line to standard error (stdout stays for data).
pub(crate) fn note(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{}", as_invoked(text));
}

/// Writes one structured log record (a JSON object on one line) to standard error.
pub(crate) fn log_line(record: &serde_json::Value) {
    let _ = writeln!(io::stderr().lock(), "{record}");
}
