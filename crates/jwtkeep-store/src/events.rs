//! Security events: append-only records with stable dotted names.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One security event. Details never hold secrets: callers put ids and
/// reasons there, never tokens, passwords or keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When, seconds since the epoch.
    pub at: i64,
    /// A stable dotted name: `login.failed`, `refresh.reuse`, `key.rotated`...
    pub name: String,
    /// The subject concerned, if any.
    pub subject: Option<String>,
    /// The client's address, if any.
    pub client: Option<String>,
    /// Anything else, as JSON.
    pub details: Map<String, Value>,
}

impl Event {
    pub(crate) fn validate(&self) -> Result<(), crate::StoreError> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_');
        if !name_ok {
            return Err(crate::StoreError::invalid(
                "event name",
                "must be 1 to 64 characters of a-z 0-9 . _",
            ));
        }
        Ok(())
    }
}

/// Which events to read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventQuery {
    /// From this instant, inclusive.
    pub from: i64,
    /// To this instant, exclusive.
    pub to: i64,
    /// Only events with this name, or under it when it ends in `.` (`login.`).
    pub name: Option<String>,
    /// At most this many, oldest first.
    pub limit: usize,
}

impl EventQuery {
    /// Whether `name` is selected by this query.
    pub(crate) fn selects(&self, name: &str) -> bool {
        match &self.name {
            None => true,
            Some(prefix) if prefix.ends_with('.') => name.starts_with(prefix.as_str()),
            Some(exact) => name == exact,
        }
    }
}
