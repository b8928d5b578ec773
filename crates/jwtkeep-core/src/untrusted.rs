//! Text from a token or a request, fit to appear in an error message:
//! escaped and shortened so it can neither forge log lines nor flood them.

use std::fmt;

/// The most characters of untrusted text an error message shows.
pub(crate) const MAX_SHOWN_CHARS: usize = 40;

/// Untrusted text, escaped (JSON string rules) and shortened for display.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Untrusted(String);

impl Untrusted {
    /// Escapes and shortens `text`.
    pub fn new(text: &str) -> Untrusted {
        let mut shown: String = text.chars().take(MAX_SHOWN_CHARS).collect();
        if text.chars().count() > MAX_SHOWN_CHARS {
            shown.push('…');
        }
        Untrusted(serde_json::Value::from(shown).to_string())
    }

    /// The escaped text, with its quotes.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters_and_shortens() {
        assert_eq!(Untrusted::new("a\nb\"").as_str(), r#""a\nb\"""#);
        let long = "x".repeat(100);
        assert_eq!(
            Untrusted::new(&long).as_str().chars().count(),
            MAX_SHOWN_CHARS + 3
        );
    }
}
