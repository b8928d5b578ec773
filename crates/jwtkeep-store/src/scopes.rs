//! Scopes: what a user's or a client's access tokens may be used for
//! (RFC 6749 §3.3; RFC 9068 carries them in `scope`, space-separated).
//!
//! A set is sorted and without repeats, so that it is stored, compared and
//! shown one way. `admin` is never in it: administrators are a flag of the
//! user ([`crate::User::admin`]), and a scope list that could grant it would
//! be a second, easier way to make one.

use std::fmt;

/// The most scopes one user or client holds.
pub const MAX_SCOPES: usize = 32;

/// The longest scope, bytes.
const MAX_SCOPE_BYTES: usize = 64;

/// The scope only the administrator flag grants.
pub const ADMIN_SCOPE: &str = "admin";

/// Why a scope list is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// A scope with characters or a length outside the rule.
    #[error("{0:?} is not a scope: use 1 to 64 letters, digits and : . _ - /")]
    Malformed(String),
    /// `admin`, which only the administrator flag grants.
    #[error("admin is not granted as a scope: make the user an administrator instead")]
    Reserved,
    /// More than [`MAX_SCOPES`].
    #[error("at most 32 scopes")]
    TooMany,
}

/// Whether `scope` is one well-formed scope token: 1 to 64 bytes of ASCII
/// letters, digits and `: . _ - /` (a strict subset of RFC 6749's
/// scope-token, enough for `orders:read` and URL-like names, and never in
/// need of quoting in a header, a claim or a shell).
pub fn is_scope_token(scope: &str) -> bool {
    (1..=MAX_SCOPE_BYTES).contains(&scope.len())
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":._-/".contains(&b))
}

/// A set of scopes, sorted, without repeats and without `admin`.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// No scopes.
    pub fn none() -> Scopes {
        Scopes::default()
    }

    /// The scopes of a list as people write it: separated by spaces or
    /// commas (`orders:read,orders:write`, `orders:read orders:write`);
    /// empty text is the empty set.
    pub fn parse(text: &str) -> Result<Scopes, ScopeError> {
        Scopes::from_list(text.split([' ', ',']).filter(|s| !s.is_empty()))
    }

    /// The scopes of a list of names, each checked.
    pub fn from_list<I, T>(names: I) -> Result<Scopes, ScopeError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let mut scopes = Vec::new();
        for name in names {
            let name = name.as_ref();
            if !is_scope_token(name) {
                let shown: String = name.chars().take(MAX_SCOPE_BYTES).collect();
                return Err(ScopeError::Malformed(shown));
            }
            if name == ADMIN_SCOPE {
                return Err(ScopeError::Reserved);
            }
            scopes.push(name.to_owned());
            if scopes.len() > MAX_SCOPES * 4 {
                return Err(ScopeError::TooMany);
            }
        }
        scopes.sort_unstable();
        scopes.dedup();
        if scopes.len() > MAX_SCOPES {
            return Err(ScopeError::TooMany);
        }
        Ok(Scopes(scopes))
    }

    /// Reads the stored form back (space-separated); a stored list that
    /// breaks the rule is corruption.
    pub(crate) fn from_stored(text: &str) -> Result<Scopes, crate::StoreError> {
        Scopes::parse(text).map_err(|_| crate::StoreError::corrupt("a stored scope list"))
    }

    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.binary_search_by(|s| s.as_str().cmp(scope)).is_ok()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// Space-separated, as stored and as `scope` carries it.
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_without_repeats_however_written() {
        let s = Scopes::parse("orders:write, orders:read orders:write").unwrap();
        assert_eq!(s.to_string(), "orders:read orders:write");
        assert!(s.contains("orders:read") && !s.contains("orders"));
        assert_eq!(Scopes::parse("").unwrap(), Scopes::none());
        assert_eq!(Scopes::parse(" , ").unwrap(), Scopes::none());
    }

    #[test]
    fn malformed_reserved_and_too_many_are_refused() {
        for bad in ["a\"b", "é", "a\\b", "x;y", &"a".repeat(65)] {
            assert!(
                matches!(Scopes::parse(bad), Err(ScopeError::Malformed(_))),
                "{bad}"
            );
        }
        assert_eq!(Scopes::parse("read admin"), Err(ScopeError::Reserved));
        let many: Vec<String> = (0..33).map(|i| format!("s{i}")).collect();
        assert_eq!(Scopes::from_list(&many), Err(ScopeError::TooMany));
        assert_eq!(
            Scopes::from_list(&many[..32]).map(|s| s.iter().count()),
            Ok(32)
        );
    }
}
