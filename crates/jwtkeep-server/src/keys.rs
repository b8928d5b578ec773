//! The service's signing keys: one ring per purpose (access, refresh,
//! confirmation), kept in the store sealed under the master key, loaded into
//! core key rings whose state is a pure function of time.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use jwtkeep_core::{
    Algorithm, JwkSet, Key, KeyError, KeyPair, KeyRing, Policy, RingKey, Schedule, Verifier,
};
use jwtkeep_store::{KeyRecord, MasterKey, SealError, Store, StoreError};

use crate::purpose::{Purpose, PURPOSES};
use crate::Config;

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
    /// The operating system's random generator failed.
    #[error("the operating system's random generator failed")]
    Random,
    /// The password hashing workers could not be started (no threads left).
    #[error("the password hashing workers could not start")]
    Workers,
    /// The store has no identity: a new shared store is initialised by its
    /// operator; one that lost its identity was wiped or replaced.
    #[error("the store has no identity: initialise a new shared store with `jwtkeep store init`; if it held data before, it was wiped or replaced: find out why first (then `jwtkeep store init --force`)")]
    NotInitialised,
    /// Another instance holds the rotation lock.
    #[error("another instance is rotating this key right now; retry in a minute")]
    Busy,
    /// A stored or generated key is refused by the core (weak or invalid).
    #[error("signing key {kid} is refused: {source}")]
    Key {
        /// Its id.
        kid: String,
        /// Why.
        source: KeyError,
    },
}

/// What a token of `purpose` must satisfy besides its signature.
fn policy_for(purpose: Purpose, config: &Config) -> Policy {
    let audience = match purpose {
        Purpose::Access => config.audience.clone(),
        // Refresh and confirmation tokens are for this service alone.
        Purpose::Refresh | Purpose::Confirm => config.issuer.clone(),
    };
    Policy::new()
        .issuer(config.issuer.clone())
        .audience(audience)
        .typ(purpose.typ())
        .require_claim("jti")
        .require_claim("sub")
        .require_claim("iat")
}

/// The longest a token of `purpose` lives: its key must verify that much
/// longer than it signs (plus the verifier's leeway).
fn token_lifetime(purpose: Purpose, config: &Config) -> i64 {
    let ttl = match purpose {
        Purpose::Access => config.access_ttl_secs,
        Purpose::Refresh => config.refresh_ttl_secs,
        Purpose::Confirm => config.confirm_ttl_secs,
    };
    ttl.saturating_add(jwtkeep_core::DEFAULT_LEEWAY_SECS.cast_signed())
}

/// How a manual rotation treats the caches of the JWKS and the keys it replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationMode {
    /// The new key is published at once and signs only once every cache of
    /// the JWKS (`jwks_max_age_secs`) and every instance (its key check
    /// interval) has had time to learn of it: no verifier ever meets a token
    /// whose key it cannot have. The default.
    Staged,
    /// The new key signs at once. Instances of this service reload their keys
    /// when they meet its tokens; other verifiers holding a cached JWKS refuse
    /// them until they fetch it again.
    Immediate,
    /// The new key signs at once and every older key is retired at once: the
    /// tokens they signed are refused from now on (a compromised key).
    RevokeOld,
}

impl RotationMode {
    /// The mode's name in the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            RotationMode::Staged => "staged",
            RotationMode::Immediate => "immediate",
            RotationMode::RevokeOld => "revoke_old",
        }
    }

    /// The mode named `name`, if any.
    pub fn from_name(name: &str) -> Option<RotationMode> {
        [
            RotationMode::Staged,
            RotationMode::Immediate,
            RotationMode::RevokeOld,
        ]
        .into_iter()
        .find(|m| m.as_str() == name)
    }
}

/// What a manual rotation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotated {
    /// The new key's id.
    pub kid: String,
    /// When it begins to sign, seconds since the epoch.
    pub signs_from: i64,
}

/// When a purpose's next key is due, seen from its keys' records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    /// Nothing to do yet.
    No,
    /// Publish the next key now; it signs from this instant.
    Publish { active_from: i64 },
}

/// The signing keys of every purpose, each with the verifier of its tokens.
pub struct KeyService {
    /// Each purpose's verifier, at [`Purpose::index`].
    rings: RwLock<[Option<Verifier>; 3]>,
    master: MasterKey,
    config: Config,
    /// When the last reload asked for by a request began: one at a time, at
    /// most one a second (see [`KeyService::reload_for_unknown_kid`]).
    asked_reload: tokio::sync::Mutex<Option<Instant>>,
    /// Counts the rings installed: whoever must know that a rotation has
    /// reached this instance (a test, an operator's tool) waits on it.
    installs: tokio::sync::watch::Sender<u64>,
}

/// The least time between two reloads that requests ask for.
const ASKED_RELOAD_EVERY: Duration = Duration::from_secs(1);

impl std::fmt::Debug for KeyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyService")
            .field("algorithm", &self.config.algorithm)
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
            rings: RwLock::new([None, None, None]),
            master,
            config: config.clone(),
            asked_reload: tokio::sync::Mutex::new(None),
            installs: tokio::sync::watch::Sender::new(0),
        };
        for purpose in PURPOSES {
            if store.keys(purpose.as_str()).await?.is_empty() {
                let pair = generate(config.algorithm)?;
                let record = service.record(purpose, &pair, now, now)?;
                match store.put_key(record).await {
                    // Another instance made the first key at the same moment: use theirs.
                    Ok(()) | Err(StoreError::Conflict { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        service.reload(store).await?;
        Ok(service)
    }

    /// Reads every purpose's keys from the store again (keys another
    /// instance or the CLI rotated) and installs the rings that changed.
    pub async fn reload<S: Store>(&self, store: &S) -> Result<(), KeysError> {
        for purpose in PURPOSES {
            self.install(purpose, &store.keys(purpose.as_str()).await?)?;
        }
        Ok(())
    }

    /// Reloads the rings because a request met a token whose key this
    /// instance does not hold (another instance, or the CLI, may have just
    /// rotated). One reload at a time: concurrent callers wait for the one in
    /// flight, then `still_unknown` tells whether they need another; and at
    /// most one a second, so made-up `kid`s cannot turn into a flood of store
    /// reads. Whether trying again is worth it.
    pub async fn reload_for_unknown_kid<S: Store>(
        &self,
        store: &S,
        still_unknown: impl Fn(&KeyService) -> bool,
    ) -> bool {
        let mut last = self.asked_reload.lock().await;
        if !still_unknown(self) {
            return true;
        }
        if last.is_some_and(|started| started.elapsed() < ASKED_RELOAD_EVERY) {
            return false;
        }
        *last = Some(Instant::now());
        self.reload(store).await.is_ok() && !still_unknown(self)
    }

    /// Reloads the rings because another instance announced a rotation
    /// (not rate-limited: announcements come through the store, and a retired
    /// key must stop verifying at once).
    pub async fn reload_on_announcement<S: Store>(&self, store: &S) -> Result<(), KeysError> {
        let _one_at_a_time = self.asked_reload.lock().await;
        self.reload(store).await
    }

    /// Makes `records` the ring of `purpose`, unless it already holds exactly
    /// these keys on these schedules: the check every few seconds must not
    /// reopen and re-parse every key.
    fn install(&self, purpose: Purpose, records: &[KeyRecord]) -> Result<(), KeysError> {
        if records.is_empty() {
            // A store that lost its keys (wiped): keep the ring in memory
            // rather than refuse every token; the view reports the reset.
            return Ok(());
        }
        let unchanged = self.with_ring(purpose, |ring| {
            ring.is_some_and(|ring| {
                ring.keys().len() == records.len()
                    && records.iter().all(|r| {
                        let schedule = Schedule {
                            published_at: r.published_at.min(r.active_from),
                            ..schedule_of(r)
                        };
                        ring.keys()
                            .iter()
                            .any(|k| k.kid() == r.kid && k.schedule() == schedule)
                    })
            })
        });
        if unchanged {
            return Ok(());
        }
        let verifier = Verifier::new(self.ring_from(records)?, policy_for(purpose, &self.config));
        let mut rings = self
            .rings
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(slot) = rings.get_mut(purpose.index()) {
            *slot = Some(verifier);
        }
        drop(rings);
        self.installs.send_modify(|n| *n = n.wrapping_add(1));
        Ok(())
    }

    /// Whether `purpose`'s next key is due at `now`: it is published
    /// `publish_ahead_secs` before it signs, `rotation_secs` after the newest
    /// key began to sign. After a long stop it still gets its full
    /// publication time, so caches of the JWKS learn of it before it signs.
    fn due(&self, records: &[KeyRecord], now: i64) -> Due {
        let Some(newest) = records.iter().map(|r| r.active_from).max() else {
            return Due::Publish { active_from: now };
        };
        let next = newest.saturating_add(self.config.rotation_secs);
        let publish_at = next.saturating_sub(self.config.publish_ahead_secs);
        if now < publish_at {
            return Due::No;
        }
        Due::Publish {
            active_from: next.max(now.saturating_add(self.config.publish_ahead_secs)),
        }
    }

    /// Adds the next key of `purpose`, published now and signing from
    /// `active_from`; every older key stops signing then and verifies until
    /// the tokens it signed have expired, or with `retire_old` stops both at
    /// once. Keys retired before `now` are deleted.
    async fn add_next<S: Store>(
        &self,
        store: &S,
        purpose: Purpose,
        records: &[KeyRecord],
        active_from: i64,
        retire_old: bool,
        now: i64,
    ) -> Result<String, KeysError> {
        let pair = generate(self.config.algorithm)?;
        let record = self.record(purpose, &pair, now, active_from)?;
        let kid = record.kid.clone();
        store.put_key(record).await?;
        let verify_until = if retire_old {
            now
        } else {
            active_from.saturating_add(token_lifetime(purpose, &self.config))
        };
        for old in records {
            if old.verify_until.is_some_and(|t| t <= now) {
                store.delete_key(purpose.as_str(), &old.kid).await?;
            } else if retire_old {
                store
                    .set_key_schedule(purpose.as_str(), &old.kid, Some(now), Some(now))
                    .await?;
            } else if old.active_until.is_none_or(|t| t > active_from) {
                store
                    .set_key_schedule(
                        purpose.as_str(),
                        &old.kid,
                        Some(active_from),
                        Some(verify_until),
                    )
                    .await?;
            }
        }
        Ok(kid)
    }

    /// How long a staged rotation publishes its key before it signs: the
    /// JWKS's cache lifetime, plus the key check interval in which every
    /// instance reloads its keys.
    pub fn staged_lead_secs(&self) -> i64 {
        let check = i64::try_from(self.config.key_check_interval.as_secs()).unwrap_or(i64::MAX);
        self.config
            .jwks_max_age_secs
            .saturating_add(check)
            .saturating_add(1)
    }

    /// Rotates `purpose` now, as `mode` says: a new key is published at once
    /// and signs after the staged lead ([`RotationMode::Staged`]) or at once;
    /// the previous keys only verify until their tokens expire, or with
    /// [`RotationMode::RevokeOld`] not at all. Other instances are told.
    pub async fn rotate<S: Store>(
        &self,
        store: &S,
        purpose: Purpose,
        mode: RotationMode,
        holder: &str,
        now: i64,
    ) -> Result<Rotated, KeysError> {
        let lock = format!("rotate-{purpose}");
        if !store.try_lock(&lock, holder, 60, now).await? {
            return Err(KeysError::Busy);
        }
        let signs_from = match mode {
            RotationMode::Staged => now.saturating_add(self.staged_lead_secs()),
            RotationMode::Immediate | RotationMode::RevokeOld => now,
        };
        let retire_old = mode == RotationMode::RevokeOld;
        let added = match store.keys(purpose.as_str()).await {
            Ok(records) => {
                self.add_next(store, purpose, &records, signs_from, retire_old, now)
                    .await
            }
            Err(e) => Err(e.into()),
        };
        let _ = store.unlock(&lock, holder).await;
        let kid = added?;
        self.reload(store).await?;
        // Other instances reload now rather than at their next key check (a
        // retired key must stop verifying everywhere); a lost announcement
        // leaves it to that check.
        let _ = store.announce_keys().await;
        Ok(Rotated { kid, signs_from })
    }

    /// The scheduled work, run by every instance on a timer: publishes each
    /// purpose's next key when it is due, under the store's rotation lock so
    /// that one instance does it, then reloads the rings (learning what other
    /// instances did). Returns the purposes and kids this call added.
    pub async fn maintain<S: Store>(
        &self,
        store: &S,
        holder: &str,
        now: i64,
    ) -> Result<Vec<(Purpose, String)>, KeysError> {
        let mut added = Vec::new();
        if store.identity().await?.is_none() {
            // The store was wiped: keys are made only at the first start, and
            // the revocation view reports the reset.
            return Ok(added);
        }
        for purpose in PURPOSES {
            let mut records = store.keys(purpose.as_str()).await?;
            if records.is_empty() {
                // Lost with a wipe: the keys in memory are kept meanwhile.
                continue;
            }
            let lock = format!("rotate-{purpose}");
            if self.due(&records, now) != Due::No && store.try_lock(&lock, holder, 60, now).await? {
                // Read again under the lock: another instance may have just done it.
                let result = match store.keys(purpose.as_str()).await {
                    Ok(fresh) => match self.due(&fresh, now) {
                        Due::No => Ok(None),
                        Due::Publish { active_from } => self
                            .add_next(store, purpose, &fresh, active_from, false, now)
                            .await
                            .map(Some),
                    },
                    Err(e) => Err(e.into()),
                };
                let _ = store.unlock(&lock, holder).await;
                if let Some(kid) = result? {
                    added.push((purpose, kid));
                }
                records = store.keys(purpose.as_str()).await?;
            }
            // Learns what other instances did, too.
            self.install(purpose, &records)?;
        }
        Ok(added)
    }

    /// A receiver that changes each time a purpose's ring is replaced (a
    /// rotation here, or one learnt of from the store).
    pub fn installs(&self) -> tokio::sync::watch::Receiver<u64> {
        self.installs.subscribe()
    }

    /// Seconds since `purpose`'s signing key began to sign (for metrics).
    pub fn active_key_age(&self, purpose: Purpose, now: i64) -> Option<i64> {
        self.with_ring(purpose, |ring| {
            let key = ring?.signing_key_at(now)?;
            Some(now.saturating_sub(key.schedule().active_from))
        })
    }

    /// A sealed record of `pair` for `purpose`, published at `published_at` and active from `active_from`.
    fn record(
        &self,
        purpose: Purpose,
        pair: &KeyPair,
        published_at: i64,
        active_from: i64,
    ) -> Result<KeyRecord, KeysError> {
        let mut record = KeyRecord {
            purpose: purpose.as_str().to_owned(),
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
                purpose: purpose.as_str().to_owned(),
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
            let scheduled = RingKey::scheduled(key, schedule_of(record));
            // Duplicate kids cannot come out of the store (its key is purpose + kid).
            let _ = ring.insert(scheduled);
        }
        Ok(ring)
    }

    /// Runs `f` on the ring of `purpose`.
    pub fn with_ring<R>(&self, purpose: Purpose, f: impl FnOnce(Option<&KeyRing>) -> R) -> R {
        self.with_verifier(purpose, |v| f(v.map(Verifier::ring)))
    }

    /// Runs `f` on the verifier of `purpose`'s tokens.
    pub fn with_verifier<R>(&self, purpose: Purpose, f: impl FnOnce(Option<&Verifier>) -> R) -> R {
        let rings = self
            .rings
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(rings.get(purpose.index()).and_then(Option::as_ref))
    }

    /// Signs `claims` as a token of `purpose` with its newest active key.
    pub fn sign<C: serde::Serialize>(
        &self,
        purpose: Purpose,
        claims: &C,
        now: i64,
    ) -> Option<String> {
        self.with_ring(purpose, |ring| {
            let key = ring?.signing_key_at(now)?;
            let fields = jwtkeep_core::HeaderFields {
                typ: Some(purpose.typ().to_owned()),
                kid: Some(key.kid().to_owned()),
            };
            jwtkeep_core::sign_claims(key.key(), &fields, claims).ok()
        })
    }

    /// The published access keys at `now`, newest first (refresh and
    /// confirmation keys are the service's own and never published).
    pub fn jwks(&self, now: i64) -> JwkSet {
        self.with_ring(Purpose::Access, |ring| {
            ring.map_or_else(JwkSet::default, |r| r.jwks_at(now))
        })
    }

    /// How long the JWKS may be cached at `now`: `jwks_max_age_secs` (which
    /// a staged rotation waits out before its key signs), and never past the
    /// next scheduled publication.
    pub fn jwks_max_age(&self, now: i64) -> i64 {
        self.seconds_to_next_publication(now)
            .min(self.config.jwks_max_age_secs)
    }

    /// Seconds until the next access key is published.
    fn seconds_to_next_publication(&self, now: i64) -> i64 {
        self.with_ring(Purpose::Access, |ring| {
            let newest = ring
                .and_then(|r| r.keys().iter().map(|k| k.schedule().active_from).max())
                .unwrap_or(now);
            newest
                .saturating_add(self.config.rotation_secs)
                .saturating_sub(self.config.publish_ahead_secs)
                .saturating_sub(now)
                .max(0)
        })
    }

    /// Whether every purpose has a key that signs at `now`.
    pub fn ready(&self, now: i64) -> bool {
        PURPOSES.iter().all(|&p| {
            self.with_ring(p, |ring| {
                ring.is_some_and(|r| r.signing_key_at(now).is_some())
            })
        })
    }
}

/// The schedule a stored key record describes.
fn schedule_of(record: &KeyRecord) -> Schedule {
    Schedule {
        published_at: record.published_at,
        active_from: record.active_from,
        active_until: record.active_until,
        verify_until: record.verify_until,
    }
}
