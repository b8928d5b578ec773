//! The store's identity on Redis: one key, written only by an explicit
//! initialisation (`jwtkeep store init`), never by a service: a Redis that
//! restarted empty must be noticed, not silently taken for a new store.

use super::RedisStore;
use crate::traits::{Identity, Result};
use crate::validate::new_id;
use crate::Initialised;

/// How many SCAN steps look for data under the prefix before giving up and
/// calling the store empty-enough (each step asks for 1,000 keys).
const SCAN_STEPS: usize = 10_000;

impl Identity for RedisStore {
    async fn initialise(&self, force: bool, now: i64) -> Result<Initialised> {
        if let Some(current) = self.read_identity().await? {
            return Ok(Initialised::Already(current));
        }
        if !force && self.holds_data().await? {
            return Ok(Initialised::HoldsData);
        }
        let (key, fresh) = (self.key(&["identity"]), new_id()?);
        let created_key = self.key(&["identity", "created"]);
        let value = fresh.clone();
        let won: bool = self
            .run(|mut c| async move {
                let won: bool = redis::cmd("SET")
                    .arg(&key)
                    .arg(&value)
                    .arg("NX")
                    .query_async::<Option<String>>(&mut c)
                    .await?
                    .is_some();
                if won {
                    redis::cmd("SET")
                        .arg(&created_key)
                        .arg(now)
                        .query_async::<()>(&mut c)
                        .await?;
                }
                Ok(won)
            })
            .await?;
        if won {
            return Ok(Initialised::Created(fresh));
        }
        // Another initialisation won the race: report its identity.
        match self.read_identity().await? {
            Some(current) => Ok(Initialised::Already(current)),
            None => Err(crate::StoreError::Unavailable {
                backend: "redis",
                reason: "the identity vanished while it was written".to_owned(),
            }),
        }
    }
}

impl RedisStore {
    /// Whether any key but the identity's own lives under the prefix.
    async fn holds_data(&self) -> Result<bool> {
        let pattern = format!("{}*", self.prefix);
        let own = [self.key(&["identity"]), self.key(&["identity", "created"])];
        let mut cursor: u64 = 0;
        for _ in 0..SCAN_STEPS {
            let pattern = pattern.clone();
            let slot_key = own[0].clone();
            let (next, found): (u64, Vec<String>) = self
                .run(|mut c| async move {
                    let mut scan = redis::cmd("SCAN");
                    scan.arg(cursor)
                        .arg("MATCH")
                        .arg(pattern)
                        .arg("COUNT")
                        .arg(1000);
                    // On a cluster: the node holding the deployment's slot.
                    c.query_at(scan, &slot_key).await
                })
                .await?;
            if found.iter().any(|key| !own.contains(key)) {
                return Ok(true);
            }
            if next == 0 {
                return Ok(false);
            }
            cursor = next;
        }
        Ok(true)
    }
}

impl RedisStore {
    /// The identity, if the store has one.
    pub(super) async fn read_identity(&self) -> Result<Option<String>> {
        let key = self.key(&["identity"]);
        self.run(|mut c| async move {
            redis::cmd("GET")
                .arg(key)
                .query_async::<Option<String>>(&mut c)
                .await
        })
        .await
    }
}
