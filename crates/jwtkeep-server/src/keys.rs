//! The service's signing keys: one ring per purpose (access, refresh,
//! confirmation), kept in the store sealed under the master key, loaded into
//! core key rings whose state is a pure function of time.

use std::collections::BTreeMap;
use std::sync::RwLock;

use jwtkeep_core::{Algorithm, JwkSet, Key, KeyError, KeyPair, KeyRing, Policy, RingKey, Verifier};
use jwtkeep_store::{KeyRecord, MasterKey, SealError, Store, StoreError};

use crate::Config;

/// The purposes that have their own keys: a token of one can never pass for another.
pub const PURPOSES: [&str; 3] = ["access", "refresh", "confirm"];

/// Why the keys could not be loaded or made; the service refuses to start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeysError {
    /// The store failed.
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    /// A stored key does not open under the master key.
    #[error("a stored signing key ({purpose}/{kid}) does not open: {source}; is this the data directory's own master key?")]
    Seal {
        /// The key's purpose.
        purpose: String,
        /// Its id.
        kid: String,
        /// Why.
        source: SealError,
    },
    /// A stored or generated key is refused by the core (weak or invalid).
    #[error("signing key {kid} is refused: {source}")]
    Key {
        /// Its id.
        kid: String,
        /// Why.
        source: KeyError,
    },
}

/// The `typ` of each purpose's tokens (RFC 8725 §3.11: one kind can never pass for another).
pub(crate) fn typ_of(purpose: &str) -> &'static str {
    match purpose {
        "access" => "at+jwt",
        "refresh" => "refresh+jwt",
        _ => "confirm+jwt",
    }
}

/// What a token of `purpose` must satisfy besides its signature.
fn policy_for(purpose: &str, config: &Config) -> Policy {
    let audience = if purpose == "access" {
        config.audience.clone()
    } else {
        // Refresh and confirmation tokens are for this service alone.
        config.issuer.clone()
    };
    Policy::new()
        .issuer(config.issuer.clone())
        .audience(audience)
        .typ(typ_of(purpose))
        .require_claim("jti")
        .require_claim("sub")
        .require_claim("iat")
}

/// The signing keys of every purpose, each with the verifier of its tokens.
pub struct KeyService {
    rings: RwLock<BTreeMap<&'static str, Verifier>>,
    master: MasterKey,
    algorithm: Algorithm,
    rotation_secs: i64,
    publish_ahead_secs: i64,
}

impl std::fmt::Debug for KeyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyService")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

fn generate(algorithm: Algorithm) -> Result<KeyPair, KeysError> {
    KeyPair::generate(algorithm, 3072, None).map_err(|source| KeysError::Key {
        kid: "(new)".to_owned(),
        source,
    })
}

impl KeyService {
    /// Loads every purpose's keys from `store`; a purpose without keys gets
    /// its first one, sealed and stored, active from `now`.
    pub async fn load_or_create<S: Store>(
        store: &S,
        master: MasterKey,
        config: &Config,
        now: i64,
    ) -> Result<KeyService, KeysError> {
        let service = KeyService {
            rings: RwLock::new(BTreeMap::new()),
            master,
            algorithm: config.algorithm,
            rotation_secs: config.rotation_secs,
            publish_ahead_secs: config.publish_ahead_secs,
        };
        for purpose in PURPOSES {
            let mut records = store.keys(purpose).await?;
            if records.is_empty() {
                let pair = generate(config.algorithm)?;
                let record = service.record(purpose, &pair, now, now)?;
                match store.put_key(record).await {
                    // Another instance made the first key at the same moment: use theirs.
                    Ok(()) | Err(StoreError::Conflict { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                records = store.keys(purpose).await?;
            }
            let ring = service.ring_from(&records)?;
            service
                .rings
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(purpose, Verifier::new(ring, policy_for(purpose, config)));
        }
        Ok(service)
    }

    /// A sealed record of `pair` for `purpose`, published at `published_at` and active from `active_from`.
    fn record(
        &self,
        purpose: &str,
        pair: &KeyPair,
        published_at: i64,
        active_from: i64,
    ) -> Result<KeyRecord, KeysError> {
        let mut record = KeyRecord {
            purpose: purpose.to_owned(),
            kid: pair.kid().to_owned(),
            alg: pair.algorithm(),
            created_at: published_at,
            published_at,
            active_from,
            active_until: None,
            verify_until: None,
            public_jwk: serde_json::to_string(&pair.public_jwk()).ok(),
            sealed: Vec::new(),
        };
        record.sealed = self
            .master
            .seal(&record, pair.pkcs8_der())
            .map_err(|source| KeysError::Seal {
                purpose: purpose.to_owned(),
                kid: record.kid.clone(),
                source,
            })?;
        Ok(record)
    }

    fn ring_from(&self, records: &[KeyRecord]) -> Result<KeyRing, KeysError> {
        let mut ring = KeyRing::new();
        for record in records {
            let der = self.master.open(record).map_err(|source| KeysError::Seal {
                purpose: record.purpose.clone(),
                kid: record.kid.clone(),
                source,
            })?;
            let refused = |source| KeysError::Key {
                kid: record.kid.clone(),
                source,
            };
            let pair =
                KeyPair::from_pkcs8(record.alg, der, Some(record.kid.clone())).map_err(refused)?;
            let key = Key::from_jwk(pair.private_jwk(), Some(record.alg)).map_err(refused)?;
            let scheduled = RingKey::scheduled(
                key,
                record.published_at,
                record.active_from,
                record.active_until,
                record.verify_until,
            );
            // Duplicate kids cannot come out of the store (its key is purpose + kid).
            let _ = ring.insert(scheduled);
        }
        Ok(ring)
    }

    /// Runs `f` on the ring of `purpose`.
    pub fn with_ring<R>(&self, purpose: &str, f: impl FnOnce(Option<&KeyRing>) -> R) -> R {
        self.with_verifier(purpose, |v| f(v.map(Verifier::ring)))
    }

    /// Runs `f` on the verifier of `purpose`'s tokens.
    pub fn with_verifier<R>(&self, purpose: &str, f: impl FnOnce(Option<&Verifier>) -> R) -> R {
        let rings = self
            .rings
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(rings.get(purpose))
    }

    /// Signs `claims` as a token of `purpose` with its newest active key.
    pub fn sign<C: serde::Serialize>(&self, purpose: &str, claims: &C, now: i64) -> Option<String> {
        self.with_ring(purpose, |ring| {
            let key = ring?.signing_key_at(now)?;
            let fields = jwtkeep_core::HeaderFields {
                typ: Some(typ_of(purpose).to_owned()),
                kid: Some(key.kid().to_owned()),
            };
            jwtkeep_core::sign_claims(key.key(), &fields, claims).ok()
        })
    }

    /// The published access keys at `now`, newest first (refresh and
    /// confirmation keys are the service's own and never published).
    pub fn jwks(&self, now: i64) -> JwkSet {
        self.with_ring("access", |ring| {
            ring.map_or_else(JwkSet::default, |r| r.jwks_at(now))
        })
    }

    /// Seconds until the next access key is published (how long a JWKS may be cached).
    pub fn seconds_to_next_publication(&self, now: i64) -> i64 {
        self.with_ring("access", |ring| {
            let newest = ring
                .and_then(|r| r.keys().iter().map(|k| k.schedule().1).max())
                .unwrap_or(now);
            newest
                .saturating_add(self.rotation_secs)
                .saturating_sub(self.publish_ahead_secs)
                .saturating_sub(now)
                .max(0)
        })
    }

    /// Whether every purpose has a key that signs at `now`.
    pub fn ready(&self, now: i64) -> bool {
        PURPOSES.iter().all(|p| {
            self.with_ring(p, |ring| {
                ring.is_some_and(|r| r.signing_key_at(now).is_some())
            })
        })
    }
}
