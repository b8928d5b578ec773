//! Key rings: several keys, each with a `kid` and a life in time, so that keys
//! rotate without downtime. Every state is a pure function of time.
//!
//! A key is *published* (in the JWKS, verifying) from `published_at`, *active*
//! (the one that signs) from `active_from` until `active_until`, and keeps
//! verifying until `verify_until`, after which it is *retired*. Signing uses
//! the newest active key; verification accepts published, active and
//! verify-only keys, so tokens signed before a rotation stay valid until they
//! expire, and the next key is known to verifiers before it signs.

use std::sync::Arc;

use crate::alg::Algorithm;
use crate::jwk::JwkSet;
use crate::key::Key;
use crate::primitive::KeyError;
use crate::verify_error::VerifyError;

/// Where a key is in its life at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Not yet published: unused.
    Pending,
    /// Published ahead of signing: verifies, does not sign yet.
    Published,
    /// Signs and verifies.
    Active,
    /// No longer signs; verifies tokens it signed until they expire.
    VerifyOnly,
    /// Neither signs nor verifies.
    Retired,
}

impl KeyState {
    /// The name used in output.
    pub fn name(self) -> &'static str {
        match self {
            KeyState::Pending => "pending",
            KeyState::Published => "published",
            KeyState::Active => "active",
            KeyState::VerifyOnly => "verify-only",
            KeyState::Retired => "retired",
        }
    }
}

/// When a key is published, starts and stops signing, and stops verifying
/// (seconds since the epoch; `None`: not yet decided).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// In the JWKS, and verifying, from here.
    pub published_at: i64,
    /// Signs from here.
    pub active_from: i64,
    /// Stops signing here.
    pub active_until: Option<i64>,
    /// Stops verifying here (retired).
    pub verify_until: Option<i64>,
}

impl Schedule {
    /// Published and signing from `active_from`, with no end yet.
    pub fn starting(active_from: i64) -> Schedule {
        Schedule {
            published_at: active_from,
            active_from,
            active_until: None,
            verify_until: None,
        }
    }
}

/// A key in a ring, with its key id and its schedule.
#[derive(Debug)]
pub struct RingKey {
    key: Key,
    kid: Arc<str>,
    schedule: Schedule,
}

impl RingKey {
    /// A key that is published and active from `active_from` with no end.
    /// Its `kid` is the key's own, or its RFC 7638 thumbprint.
    pub fn new(key: Key, active_from: i64) -> RingKey {
        let kid = key.kid().map_or_else(|| key.thumbprint().into(), Arc::from);
        RingKey {
            key,
            kid,
            schedule: Schedule::starting(active_from),
        }
    }

    /// A key with a complete schedule, as a store keeps it. A publication
    /// after activation is moved back to it (a key never signs before it can
    /// be verified).
    pub fn scheduled(key: Key, schedule: Schedule) -> RingKey {
        let mut ring_key = RingKey::new(key, schedule.active_from);
        ring_key.schedule = Schedule {
            published_at: schedule.published_at.min(schedule.active_from),
            ..schedule
        };
        ring_key
    }

    /// When it is published, starts and stops signing, and stops verifying.
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// Publishes the key `seconds` before it becomes active.
    pub fn published_ahead(mut self, seconds: i64) -> RingKey {
        self.schedule.published_at = self.schedule.active_from.saturating_sub(seconds.max(0));
        self
    }

    /// The key's state at `now`.
    pub fn state_at(&self, now: i64) -> KeyState {
        let s = &self.schedule;
        if now < s.published_at {
            KeyState::Pending
        } else if now < s.active_from {
            KeyState::Published
        } else if s.active_until.is_none_or(|t| now < t) {
            KeyState::Active
        } else if s.verify_until.is_none_or(|t| now < t) {
            KeyState::VerifyOnly
        } else {
            KeyState::Retired
        }
    }

    /// The key.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Its key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The `kid`, shared (verified tokens carry it without a copy).
    pub(crate) fn shared_kid(&self) -> Arc<str> {
        Arc::clone(&self.kid)
    }

    /// The id's allocation, shared by every token this key verified.
    pub(crate) fn kid_arc(&self) -> &Arc<str> {
        &self.kid
    }
}

/// A set of keys with distinct `kid`s.
#[derive(Debug, Default)]
pub struct KeyRing {
    keys: Vec<RingKey>,
    allow_missing_kid: bool,
}

/// A ring could not take a key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the key ring already holds a key with this kid")]
pub struct DuplicateKid;

impl KeyRing {
    /// An empty ring.
    pub fn new() -> KeyRing {
        KeyRing::default()
    }

    /// A ring of one key, always active, that also accepts tokens without a `kid`.
    pub fn single(key: Key) -> KeyRing {
        KeyRing {
            keys: vec![RingKey::new(key, i64::MIN)],
            allow_missing_kid: true,
        }
    }

    /// A ring of every key in a JWK Set, each always active. Refused: two keys
    /// with one `kid` (which key would verify is ambiguous), and a set mixing
    /// HMAC secrets with public keys (a symmetric key in a key set invites the
    /// RS/HS confusion, and key sets are meant to be published). `alg` is used
    /// for keys without their own `alg`; a set of one key also accepts tokens
    /// without `kid`.
    pub fn from_jwk_set(set: &JwkSet, alg: Option<Algorithm>) -> Result<KeyRing, KeyError> {
        let mut ring = KeyRing::new();
        for jwk in &set.keys {
            let key = Key::from_jwk(jwk, alg)?;
            ring.insert(RingKey::new(key, i64::MIN))
                .map_err(|_| KeyError::Rejected {
                    reason: "the key set holds two keys with the same kid",
                })?;
        }
        let hmac = ring
            .keys
            .iter()
            .filter(|k| k.key.algorithm().is_hmac())
            .count();
        if hmac > 0 && hmac < ring.keys.len() {
            return Err(KeyError::Rejected {
                reason: "the key set mixes HMAC secrets with public keys",
            });
        }
        if ring.keys.is_empty() {
            return Err(KeyError::Rejected {
                reason: "the key set is empty",
            });
        }
        ring.allow_missing_kid = ring.keys.len() == 1;
        Ok(ring)
    }

    /// Adds a key; refuses a second key with the same `kid`.
    pub fn insert(&mut self, key: RingKey) -> Result<(), DuplicateKid> {
        if self.keys.iter().any(|k| k.kid == key.kid) {
            return Err(DuplicateKid);
        }
        self.keys.push(key);
        Ok(())
    }

    /// Whether a token without `kid` may be verified by the only key.
    pub fn allow_missing_kid(mut self, allow: bool) -> KeyRing {
        self.allow_missing_kid = allow;
        self
    }

    /// The keys, in insertion order.
    pub fn keys(&self) -> &[RingKey] {
        &self.keys
    }

    /// The key that signs at `now`: the newest active one.
    pub fn signing_key_at(&self, now: i64) -> Option<&RingKey> {
        self.keys
            .iter()
            .filter(|k| k.state_at(now) == KeyState::Active && k.key.signing_key().is_some())
            .max_by_key(|k| k.schedule.active_from)
    }

    /// The key that may verify a token naming `kid` at `now`. Retired and
    /// pending keys are refused before any signature is checked.
    pub fn verification_key_at(
        &self,
        kid: Option<&str>,
        now: i64,
    ) -> Result<&RingKey, VerifyError> {
        let found = match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| *k.kid == *kid)
                .ok_or(VerifyError::UnknownKid)?,
            None => match self.keys.as_slice() {
                [only] if self.allow_missing_kid => only,
                _ => return Err(VerifyError::KidRequired),
            },
        };
        match found.state_at(now) {
            KeyState::Published | KeyState::Active | KeyState::VerifyOnly => Ok(found),
            KeyState::Pending => Err(VerifyError::UnknownKid),
            KeyState::Retired => Err(VerifyError::KeyRetired),
        }
    }

    /// Ends the current signing key's activity at `now` and adds `next` as the
    /// key that signs from `now`. The old key verifies for `max_token_lifetime`
    /// more seconds (every token it signed has expired by then), then retires.
    pub fn rotate_at(
        &mut self,
        now: i64,
        next: Key,
        max_token_lifetime: i64,
    ) -> Result<(), DuplicateKid> {
        let next = RingKey::new(next, now);
        if self.keys.iter().any(|k| k.kid == next.kid) {
            return Err(DuplicateKid);
        }
        for key in &mut self.keys {
            if key.state_at(now) == KeyState::Active {
                key.schedule.active_until = Some(now);
                key.schedule.verify_until = Some(now.saturating_add(max_token_lifetime.max(0)));
            }
        }
        self.keys.push(next);
        Ok(())
    }

    /// The public keys that verify at `now` (published, active, verify-only),
    /// newest first. HMAC keys are never published.
    pub fn jwks_at(&self, now: i64) -> JwkSet {
        let mut live: Vec<&RingKey> = self
            .keys
            .iter()
            .filter(|k| {
                matches!(
                    k.state_at(now),
                    KeyState::Published | KeyState::Active | KeyState::VerifyOnly
                )
            })
            .collect();
        // Newest first; of keys that began in the same second, the one that
        // signs longest (a rotation's successor) first.
        live.sort_by_key(|k| {
            std::cmp::Reverse((
                k.schedule.active_from,
                k.schedule.active_until.unwrap_or(i64::MAX),
            ))
        });
        JwkSet {
            keys: live
                .into_iter()
                .filter_map(|k| {
                    let mut jwk = k.key.public_jwk()?;
                    jwk.kid = Some(k.kid.to_string());
                    Some(jwk)
                })
                .collect(),
        }
    }
}
