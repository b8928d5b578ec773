//! The one error type of every store operation.

/// Why a store operation did not happen. Messages never hold secrets.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend did not answer in time or at all. Nothing was changed, or
    /// the change is not known to have happened; callers fail closed.
    #[error("the {backend} store is unavailable: {reason}")]
    Unavailable {
        /// "sqlite", "redis", or "random generator" when the OS could not supply an id.
        backend: &'static str,
        /// What went wrong, without secrets.
        reason: String,
    },
    /// A unique value is taken (a username, a key id).
    #[error("{what} already exists")]
    Conflict {
        /// What was duplicated.
        what: &'static str,
    },
    /// The thing asked for does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was missing.
        what: &'static str,
    },
    /// The caller passed a value the store refuses (a weak password hash, an empty id).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Which value.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// Stored data could not be read back (a newer schema, a damaged record).
    #[error("stored data is unreadable: {reason}")]
    Corrupt {
        /// What was wrong.
        reason: String,
    },
    /// The store's identity is missing or not the one this process started
    /// with: it was wiped or replaced, and what it no longer holds (revoked
    /// tokens, keys) must not be taken for absent. Callers fail closed.
    #[error("the store was reset: {reason}")]
    Reset {
        /// What was found instead of the expected identity.
        reason: String,
    },
}

impl StoreError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Unavailable { .. } => "store_unavailable",
            StoreError::Conflict { .. } => "conflict",
            StoreError::NotFound { .. } => "not_found",
            StoreError::Invalid { .. } => "invalid_input",
            StoreError::Corrupt { .. } => "store_corrupt",
            StoreError::Reset { .. } => "store_reset",
        }
    }

    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            what,
            reason: reason.into(),
        }
    }

    pub(crate) fn corrupt(reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            reason: reason.into(),
        }
    }
}
