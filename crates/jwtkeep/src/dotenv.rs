//! Reading and updating `.env` files without disturbing what we do not own:
//! only the named variables change; comments, blank lines, order and every
//! other line stay as they were.

use std::path::Path;

use anyhow::{bail, Result};
use zeroize::Zeroizing;

/// One line of a .env file.
enum Line {
    /// A blank line or a comment, kept byte for byte.
    Other(Zeroizing<String>),
    /// `[export ]KEY=value`.
    Var {
        export: bool,
        key: String,
        /// The value as written (quotes included), kept byte for byte.
        raw_value: Zeroizing<String>,
        /// The value with quotes and inline comments removed.
        value: Zeroizing<String>,
        /// The whole line as it is written out.
        text: Zeroizing<String>,
    },
}

/// A parsed .env file.
pub(crate) struct DotEnv {
    lines: Vec<Line>,
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// The value of `raw` as a shell-like .env reader sees it; `None` if a quote is unclosed.
fn unquote(raw: &str) -> Option<Zeroizing<String>> {
    let raw = raw.trim();
    for quote in ['"', '\''] {
        if let Some(rest) = raw.strip_prefix(quote) {
            let end = rest.rfind(quote)?;
            let inner = rest.get(..end)?;
            let after = rest.get(end + 1..)?.trim();
            if !(after.is_empty() || after.starts_with('#')) {
                return None;
            }
            return Some(Zeroizing::new(if quote == '"' {
                inner.replace("\\\"", "\"").replace("\\n", "\n")
            } else {
                inner.to_owned()
            }));
        }
    }
    // Unquoted: an inline comment starts at " #".
    let value = match raw.find(" #") {
        Some(at) => raw.get(..at).unwrap_or(raw).trim_end(),
        None => raw,
    };
    Some(Zeroizing::new(value.to_owned()))
}

impl DotEnv {
    /// Parses `text`. A line that is neither blank, a comment nor `KEY=value`
    /// is an error naming the file and line (never its content, which may be secret).
    pub(crate) fn parse(text: &str, path: &Path) -> Result<DotEnv> {
        let mut lines = Vec::new();
        for (number, line) in (1..).zip(text.lines()) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                lines.push(Line::Other(Zeroizing::new(line.to_owned())));
                continue;
            }
            let (export, body) = match trimmed.strip_prefix("export ") {
                Some(rest) => (true, rest.trim_start()),
                None => (false, trimmed),
            };
            let parsed = body.split_once('=').and_then(|(key, raw_value)| {
                let key = key.trim();
                let value = unquote(raw_value)?;
                valid_key(key).then(|| Line::Var {
                    export,
                    key: key.to_owned(),
                    raw_value: Zeroizing::new(raw_value.trim().to_owned()),
                    value,
                    text: Zeroizing::new(line.to_owned()),
                })
            });
            match parsed {
                Some(var) => lines.push(var),
                None => bail!(
                    "{} line {number} is not KEY=value (or a comment): fix or remove that line",
                    path.display()
                ),
            }
        }
        Ok(DotEnv { lines })
    }

    /// Every variable, in file order, with its unquoted value.
    pub(crate) fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.lines.iter().filter_map(|line| match line {
            Line::Var { key, value, .. } => Some((key.as_str(), value.as_str())),
            Line::Other(_) => None,
        })
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.lines
            .iter()
            .position(|line| matches!(line, Line::Var { key, .. } if key == name))
    }

    /// The value of `name` as written in the file (quotes included).
    pub(crate) fn raw_value(&self, name: &str) -> Option<&str> {
        self.position(name).and_then(|i| match self.lines.get(i) {
            Some(Line::Var { raw_value, .. }) => Some(raw_value.as_str()),
            _ => None,
        })
    }

    /// Whether `name` is set.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Sets `name` to `raw_value` (written as is): in place when present,
    /// otherwise right after the variable `after` when given and present,
    /// otherwise at the end.
    pub(crate) fn set(&mut self, name: &str, raw_value: &str, after: Option<&str>) {
        let new = |export: bool| Line::Var {
            export,
            key: name.to_owned(),
            raw_value: Zeroizing::new(raw_value.to_owned()),
            value: unquote(raw_value).unwrap_or_default(),
            text: Zeroizing::new(format!(
                "{}{name}={raw_value}",
                if export { "export " } else { "" }
            )),
        };
        if let Some(i) = self.position(name) {
            let export = matches!(self.lines.get(i), Some(Line::Var { export: true, .. }));
            if let Some(slot) = self.lines.get_mut(i) {
                *slot = new(export);
            }
            return;
        }
        match after.and_then(|a| self.position(a)) {
            Some(i) => {
                let export = matches!(self.lines.get(i), Some(Line::Var { export: true, .. }));
                self.lines.insert(i + 1, new(export));
            }
            None => self.lines.push(new(false)),
        }
    }

    /// The file's text.
    pub(crate) fn render(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::new());
        for line in &self.lines {
            let (Line::Other(text) | Line::Var { text, .. }) = line;
            out.push_str(text);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# app settings\nPORT=8080\n\nexport JWT_SECRET=\"old value\" # rotated yearly\nDATABASE_URL='postgres://x'\n";

    #[test]
    fn untouched_lines_survive_byte_for_byte() {
        let env = DotEnv::parse(SAMPLE, Path::new(".env")).unwrap();
        assert_eq!(env.render().as_str(), SAMPLE);
        let values: Vec<_> = env.vars().collect();
        assert_eq!(
            values,
            [
                ("PORT", "8080"),
                ("JWT_SECRET", "old value"),
                ("DATABASE_URL", "postgres://x")
            ]
        );
    }

    #[test]
    fn set_replaces_in_place_and_inserts_after() {
        let mut env = DotEnv::parse(SAMPLE, Path::new(".env")).unwrap();
        let old = env.raw_value("JWT_SECRET").unwrap().to_owned();
        env.set("JWT_SECRET", "new", None);
        env.set("JWT_SECRET_PREVIOUS", &old, Some("JWT_SECRET"));
        env.set("JWT_REFRESH_SECRET", "r", None);
        let text = env.render();
        assert!(text.contains(
            "export JWT_SECRET=new\nexport JWT_SECRET_PREVIOUS=\"old value\" # rotated yearly\nDATABASE_URL"
        ));
        assert!(text.ends_with("JWT_REFRESH_SECRET=r\n"));
        assert!(text.starts_with("# app settings\nPORT=8080\n\n"));
    }

    #[test]
    fn malformed_line_names_the_line_but_not_its_content() {
        let err = DotEnv::parse("A=1\nthis is not valid\n", Path::new(".env.prod"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(".env.prod line 2"));
        assert!(!err.contains("not valid\n") && !err.contains("this is"));
        assert!(DotEnv::parse("A=\"unclosed\n", Path::new(".env")).is_err());
        assert!(DotEnv::parse("1A=x\n", Path::new(".env")).is_err());
    }
}
