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
use std::net::IpAddr;
use std::sync::RwLock;

use axum::http::{header, HeaderMap};
use jwtkeep_store::{ClientSecretHash, Store};
use zeroize::Zeroizing;

use crate::attempts::Attempt;
use crate::events::{record_details, SecurityEvent};
use crate::{ApiError, AppState};

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

/// What the cache can say of a name and secret.
pub(crate) enum Cached {
    /// The secret is the held client's, read less than [`CLIENT_TTL_SECS`] ago: its name.
    Fresh(String),
    /// The secret is the held client's, but the record is older: read it
    /// again (the secret was right when it was read: not a guess to count).
    Stale,
    /// Not held, or another secret: a check against the store, counted.
    Unknown,
}

/// Clients read from the store, by the name they were asked under; and the
/// (name, address) pairs and addresses a limit refused, until when.
#[derive(Default)]
pub(crate) struct ClientCache {
    held: RwLock<HashMap<String, Held>>,
    refused: RwLock<HashMap<String, i64>>,
}

impl ClientCache {
    /// The stored name of the client asked for as `name`, if it is held,
    /// was read less than [`CLIENT_TTL_SECS`] before `now`, and `secret` is
    /// its secret (compared in constant time).
    pub(crate) fn authenticate(&self, name: &str, secret: &str, now: i64) -> Cached {
        let held = self
            .held
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(client) = held.get(name) else {
            return Cached::Unknown;
        };
        if !client.secret_hash.matches(secret) {
            return Cached::Unknown;
        }
        if (0..CLIENT_TTL_SECS).contains(&now.saturating_sub(client.read_at)) {
            Cached::Fresh(client.name.clone())
        } else {
            Cached::Stale
        }
    }

    /// Whether `name` from `address` was refused by a limit that has not
    /// ended at `now`: the seconds left. Checked before the held clients,
    /// so that a right secret after a run of wrong ones waits like the rest.
    pub(crate) fn refused(&self, name: &str, address: &str, now: i64) -> Option<i64> {
        let refused = self
            .refused
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        [format!("{name}\n{address}"), address.to_owned()]
            .iter()
            .filter_map(|key| refused.get(key))
            .map(|until| until.saturating_sub(now))
            .filter(|left| *left > 0)
            .max()
    }

    /// Remembers that a limit refused `name` from `address` until `until`.
    pub(crate) fn refuse(&self, name: &str, address: &str, until: i64) {
        let mut refused = self
            .refused
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if refused.len() >= MAX_CLIENTS {
            refused.clear();
        }
        for key in [format!("{name}\n{address}"), address.to_owned()] {
            let entry = refused.entry(key).or_insert(until);
            *entry = (*entry).max(until);
        }
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

/// The registered client that authenticated with HTTP Basic: its name as
/// stored. A client read from the store in the last seconds is not read
/// again ([`ClientCache`]). Every other check counts against limits of the
/// login's shape (per name and address, per address, per name), before the
/// store is asked, and a success forgives its pair's failures: a client
/// with its right secret pays one count every few seconds, a guesser one
/// per guess and then 429 — for the right secret too, from that address,
/// until the window ends (this instance remembers the refusal). Missing or malformed credentials are 401
/// `invalid_client`, as wrong ones are.
pub(crate) async fn authenticate_client<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    address: Option<IpAddr>,
) -> Result<String, ApiError> {
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, value) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then(|| {
                jwtkeep_core::encoding::TextEncoding::Base64
                    .decode(value.trim())
                    .ok()
            })?
        })
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .map(Zeroizing::new);
    let Some(credentials) = credentials else {
        return Err(ApiError::BadClient);
    };
    let Some((name, secret)) = credentials.split_once(':') else {
        return Err(ApiError::BadClient);
    };
    // RFC 6749 §2.3.1 has clients form-encode the name and the secret
    // before Basic (`svc%40example`); names never hold `%`, secrets are
    // base64url: a `%` can only be that encoding.
    let name = percent_decoded(name);
    let secret = Zeroizing::new(percent_decoded(secret).into_owned());
    let (name, secret) = (name.as_ref(), secret.as_str());
    let now = (state.clock)();
    let address = address.map(|ip| ip.to_string());
    let from = address.as_deref().unwrap_or("unknown");
    let account = jwtkeep_store::normalise_username(name).unwrap_or_else(|_| "-".to_owned());
    if let Some(retry_after_secs) = state.clients.refused(&account, from, now) {
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    let attempt = match state.clients.authenticate(name, secret, now) {
        Cached::Fresh(stored) => return Ok(stored),
        // Many requests at once when a held record expires: none of them a
        // guess, none of them a write.
        Cached::Stale => None,
        Cached::Unknown => {
            let attempt = Attempt::client_auth(&account, address.clone());
            if let Err(e) = attempt.count(state, now).await {
                if let ApiError::RateLimited { retry_after_secs } = e {
                    let until = now.saturating_add(retry_after_secs);
                    state.clients.refuse(&account, from, until);
                }
                return Err(e);
            }
            Some(attempt)
        }
    };
    let found = state.store.client(name).await?;
    state.clients.remember(
        name,
        found.as_ref().map(|c| (c.name.as_str(), &c.secret_hash)),
        now,
    );
    match found {
        Some(c) if c.secret_hash.matches(secret) => {
            if let Some(attempt) = attempt {
                attempt.succeeded(state, now).await;
            }
            Ok(c.name)
        }
        found => {
            // The name only when it is a client's: a name nobody has may be
            // a secret pasted into the wrong field.
            let mut details = serde_json::Map::new();
            match found {
                Some(c) => details.insert("client".into(), c.name.into()),
                None => details.insert("unknown_client".into(), true.into()),
            };
            record_details(
                state,
                SecurityEvent::ClientAuthFailed,
                None,
                address,
                details,
                now,
            )
            .await;
            Err(ApiError::BadClient)
        }
    }
}

/// `text` with its `%XX` escapes decoded (a `+` stays a `+`: names and
/// secrets hold no spaces); as it is when it holds no `%` or a malformed
/// escape.
fn percent_decoded(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('%') {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(byte) = hex else {
                return std::borrow::Cow::Borrowed(text);
            };
            out.push(byte);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_or(std::borrow::Cow::Borrowed(text), std::borrow::Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::percent_decoded;

    #[test]
    fn form_encoded_credentials_are_decoded_and_others_left_alone() {
        assert_eq!(percent_decoded("svc%40example.com"), "svc@example.com");
        assert_eq!(percent_decoded("a%2Bb+c"), "a+b+c");
        assert_eq!(percent_decoded("plain-name"), "plain-name");
        for kept in ["50%", "%zz", "%4", "%ff%fe"] {
            assert_eq!(percent_decoded(kept), kept);
        }
    }
}
