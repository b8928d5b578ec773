//! Registered clients, remembered for a few seconds: introspection, token
//! revocation and the revocation feed authenticate a client on every
//! request, and reading its record from the store each time was a blocking
//! store hop per call on the hottest endpoint.
//!
//! Only what was read from the store is held (the name and the secret's
//! hash, never a secret), for [`CLIENT_TTL_SECS`] by the service's clock, so
//! a client removed or given a new secret — by `jwtkeep client` on any
//! machine, which cannot notify a running service over SQLite — stops
//! authenticating everywhere within that time, the same bound the
//! revocation view keeps. Credentials that do not match what is held are
//! checked against the store again before they are refused, so a new
//! secret works at once.

use std::collections::HashMap;
use std::sync::RwLock;

use jwtkeep_store::ClientSecretHash;

/// How long a client read from the store is trusted without reading again.
pub(crate) const CLIENT_TTL_SECS: i64 = 5;

/// At most this many clients are held; past it the cache starts again.
const MAX_CLIENTS: usize = 1024;

/// A client as the store last gave it.
struct Held {
    /// Its name as stored.
    name: String,
    secret_hash: ClientSecretHash,
    read_at: i64,
}

/// Clients read from the store, by the name they were asked under.
#[derive(Default)]
pub(crate) struct ClientCache {
    held: RwLock<HashMap<String, Held>>,
}

impl ClientCache {
    /// The stored name of the client asked for as `name`, if it is held,
    /// was read less than [`CLIENT_TTL_SECS`] before `now`, and `secret` is
    /// its secret (compared in constant time).
    pub(crate) fn authenticate(&self, name: &str, secret: &str, now: i64) -> Option<String> {
        let held = self
            .held
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let client = held.get(name)?;
        let fresh = (0..CLIENT_TTL_SECS).contains(&now.saturating_sub(client.read_at));
        (fresh && client.secret_hash.matches(secret)).then(|| client.name.clone())
    }

    /// Holds what the store answered for `name` at `now` (forgets it when
    /// the store has no such client).
    pub(crate) fn remember(&self, name: &str, client: Option<(&str, &ClientSecretHash)>, now: i64) {
        let mut held = self
            .held
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some((stored, hash)) = client else {
            held.remove(name);
            return;
        };
        if held.len() >= MAX_CLIENTS && !held.contains_key(name) {
            held.clear();
        }
        held.insert(
            name.to_owned(),
            Held {
                name: stored.to_owned(),
                secret_hash: hash.clone(),
                read_at: now,
            },
        );
    }
}
