//! What a token is for. Each purpose has its own signing keys and its own
//! `typ` (RFC 8725 §3.11), so a token of one can never pass for another.

use std::fmt;

/// The purposes of the service's tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// Access tokens (`at+jwt`, RFC 9068): short-lived, sent to APIs.
    Access,
    /// Refresh tokens (`refresh+jwt`): rotated on every use, one family per login.
    Refresh,
    /// Step-up confirmation tokens (`confirm+jwt`): single use, bound to an action.
    Confirm,
}

/// Every purpose, in the order keys are created and listed.
pub const PURPOSES: [Purpose; 3] = [Purpose::Access, Purpose::Refresh, Purpose::Confirm];

impl Purpose {
    /// The purpose's name: the store's key column, metrics labels, the CLI's `--purpose`.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Access => "access",
            Purpose::Refresh => "refresh",
            Purpose::Confirm => "confirm",
        }
    }

    /// The `typ` header of the purpose's tokens.
    pub fn typ(self) -> &'static str {
        match self {
            Purpose::Access => "at+jwt",
            Purpose::Refresh => "refresh+jwt",
            Purpose::Confirm => "confirm+jwt",
        }
    }

    /// The purpose named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Purpose> {
        PURPOSES.into_iter().find(|p| p.as_str() == name)
    }

    /// Its position in [`PURPOSES`], for per-purpose arrays.
    pub(crate) fn index(self) -> usize {
        match self {
            Purpose::Access => 0,
            Purpose::Refresh => 1,
            Purpose::Confirm => 2,
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types_are_distinct_and_round_trip() {
        for (i, p) in PURPOSES.into_iter().enumerate() {
            assert_eq!(Purpose::from_name(p.as_str()), Some(p));
            assert_eq!(p.index(), i);
        }
        assert_eq!(Purpose::from_name("other"), None);
        let typs: std::collections::BTreeSet<_> = PURPOSES.iter().map(|p| p.typ()).collect();
        assert_eq!(typs.len(), 3);
    }
}
