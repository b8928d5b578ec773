//! Rate-limit windows, signing keys, the rotation lock, security events and
//! the identity in PostgreSQL.

use super::{is_unique_violation, pg_err, PostgresStore};
use crate::traits::Result;
use crate::traits::{Events, Identity, RateLimits, SigningKeys};
use crate::validate::{check_id, new_id};
use crate::{Event, EventQuery, Initialised, KeyRecord, RateDecision, StoreError};

/// What a key change's announcement says.
pub(super) const KEYS: &str = "keys";

impl RateLimits for PostgresStore {
    async fn hit(&self, key: &str, limit: u64, window_secs: i64, now: i64) -> Result<RateDecision> {
        let start = crate::ratelimit::window_start(key, limit, window_secs, now)?;
        let client = self.conn().await?;
        // One statement: the row lock counts concurrent hits one by one.
        let count: i64 = client
            .query_one(
                "INSERT INTO rate_windows (key, window_start, count, expires_at) VALUES ($1, $2, 1, $3)
                 ON CONFLICT (key) DO UPDATE SET
                   count = CASE WHEN rate_windows.window_start = excluded.window_start
                                THEN rate_windows.count + 1 ELSE 1 END,
                   window_start = excluded.window_start, expires_at = excluded.expires_at
                 RETURNING count",
                &[&key, &start, &start.saturating_add(window_secs)],
            )
            .await
            .map_err(|e| pg_err(&e))?
            .get(0);
        let count = u64::try_from(count).unwrap_or(u64::MAX);
        Ok(RateDecision::of(count, limit, start, window_secs, now))
    }

    async fn forgive(&self, key: &str, window_secs: i64, now: i64) -> Result<()> {
        let start = crate::ratelimit::window_start(key, 1, window_secs, now)?;
        let client = self.conn().await?;
        client
            .execute(
                "UPDATE rate_windows SET count = count - 1
                 WHERE key = $1 AND window_start = $2 AND count > 0",
                &[&key, &start],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        Ok(())
    }

    async fn reset(&self, key: &str) -> Result<()> {
        let client = self.conn().await?;
        client
            .execute("DELETE FROM rate_windows WHERE key = $1", &[&key])
            .await
            .map_err(|e| pg_err(&e))?;
        Ok(())
    }
}

impl SigningKeys for PostgresStore {
    async fn put_key(&self, record: KeyRecord) -> Result<()> {
        record.validate()?;
        let client = self.conn().await?;
        client
            .execute(
                "INSERT INTO signing_keys (purpose, kid, alg, created_at, published_at, active_from,
                 active_until, verify_until, public_jwk, sealed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &record.purpose,
                    &record.kid,
                    &record.alg.name(),
                    &record.created_at,
                    &record.published_at,
                    &record.active_from,
                    &record.active_until,
                    &record.verify_until,
                    &record.public_jwk,
                    &record.sealed,
                ],
            )
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict { what: "key id" }
                } else {
                    pg_err(&e)
                }
            })?;
        Ok(())
    }

    async fn keys(&self, purpose: &str) -> Result<Vec<KeyRecord>> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT purpose, kid, alg, created_at, published_at, active_from, active_until,
                 verify_until, public_jwk, sealed FROM signing_keys WHERE purpose = $1
                 ORDER BY active_from, created_at, kid",
                &[&purpose],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        rows.iter()
            .map(|r| {
                let (kid, alg): (String, String) = (r.get(1), r.get(2));
                let alg = jwtkeep_core::Algorithm::from_jose_name(&alg).ok_or_else(|| {
                    StoreError::corrupt(format!("key {kid} has an unknown algorithm"))
                })?;
                Ok(KeyRecord {
                    purpose: r.get(0),
                    kid,
                    alg,
                    created_at: r.get(3),
                    published_at: r.get(4),
                    active_from: r.get(5),
                    active_until: r.get(6),
                    verify_until: r.get(7),
                    public_jwk: r.get(8),
                    sealed: r.get(9),
                })
            })
            .collect()
    }

    async fn set_key_schedule(
        &self,
        purpose: &str,
        kid: &str,
        active_until: Option<i64>,
        verify_until: Option<i64>,
    ) -> Result<()> {
        let client = self.conn().await?;
        let n = client
            .execute(
                "UPDATE signing_keys SET active_until = $3, verify_until = $4
                 WHERE purpose = $1 AND kid = $2",
                &[&purpose, &kid, &active_until, &verify_until],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        if n == 0 {
            return Err(StoreError::NotFound { what: "key" });
        }
        Ok(())
    }

    async fn delete_key(&self, purpose: &str, kid: &str) -> Result<bool> {
        let client = self.conn().await?;
        let n = client
            .execute(
                "DELETE FROM signing_keys WHERE purpose = $1 AND kid = $2",
                &[&purpose, &kid],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        Ok(n > 0)
    }

    async fn try_lock(&self, name: &str, holder: &str, ttl_secs: i64, now: i64) -> Result<bool> {
        check_id("lock name", name)?;
        check_id("lock holder", holder)?;
        let client = self.conn().await?;
        let n = client
            .execute(
                "INSERT INTO locks (name, holder, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE locks.holder = excluded.holder OR locks.expires_at <= $4",
                &[&name, &holder, &now.saturating_add(ttl_secs.max(1)), &now],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        Ok(n > 0)
    }

    async fn unlock(&self, name: &str, holder: &str) -> Result<()> {
        let client = self.conn().await?;
        client
            .execute(
                "DELETE FROM locks WHERE name = $1 AND holder = $2",
                &[&name, &holder],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        Ok(())
    }

    async fn announce_keys(&self) -> Result<()> {
        let client = self.conn().await?;
        client
            .execute("SELECT pg_notify($1, $2)", &[&self.channel.as_ref(), &KEYS])
            .await
            .map_err(|e| pg_err(&e))?;
        self.keys_notify.notify_waiters();
        Ok(())
    }

    fn keys_notifier(&self) -> std::sync::Arc<tokio::sync::Notify> {
        std::sync::Arc::clone(&self.keys_notify)
    }
}

impl Events for PostgresStore {
    async fn record(&self, event: Event) -> Result<()> {
        event.validate()?;
        let details = serde_json::to_string(&event.details)
            .map_err(|e| StoreError::corrupt(e.to_string()))?;
        let client = self.conn().await?;
        client
            .execute(
                "INSERT INTO events (at, name, subject, client, details) VALUES ($1, $2, $3, $4, $5)",
                &[&event.at, &event.name, &event.subject, &event.client, &details],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        Ok(())
    }

    async fn events(&self, query: EventQuery) -> Result<Vec<Event>> {
        let (exact, prefix) = match &query.name {
            Some(p) if p.ends_with('.') => (None, Some(p.clone())),
            Some(n) => (Some(n.clone()), None),
            None => (None, None),
        };
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT at, name, subject, client, details FROM events
                 WHERE at >= $1 AND at < $2
                   AND ($3::TEXT IS NULL OR name = $3)
                   AND ($4::TEXT IS NULL OR left(name, length($4)) = $4)
                 ORDER BY seq LIMIT $5",
                &[&query.from, &query.to, &exact, &prefix, &limit],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        rows.iter()
            .map(|r| {
                let details: String = r.get(4);
                Ok(Event {
                    at: r.get(0),
                    name: r.get(1),
                    subject: r.get(2),
                    client: r.get(3),
                    details: serde_json::from_str(&details)
                        .map_err(|e| StoreError::corrupt(format!("event details: {e}")))?,
                })
            })
            .collect()
    }

    async fn purge_events(&self, before: i64) -> Result<u64> {
        let client = self.conn().await?;
        client
            .execute("DELETE FROM events WHERE at < $1", &[&before])
            .await
            .map_err(|e| pg_err(&e))
    }
}

impl Identity for PostgresStore {
    async fn initialise(&self, force: bool, now: i64) -> Result<Initialised> {
        let fresh = new_id()?;
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(&e))?;
        // One initialisation at a time: the identity row may not exist to lock.
        tx.execute("LOCK TABLE identity IN EXCLUSIVE MODE", &[])
            .await
            .map_err(|e| pg_err(&e))?;
        if let Some(row) = tx
            .query_opt("SELECT value FROM identity WHERE id = 1", &[])
            .await
            .map_err(|e| pg_err(&e))?
        {
            return Ok(Initialised::Already(row.get(0)));
        }
        let holds_data: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM signing_keys) OR EXISTS (SELECT 1 FROM users)",
                &[],
            )
            .await
            .map_err(|e| pg_err(&e))?
            .get(0);
        if holds_data && !force {
            return Ok(Initialised::HoldsData);
        }
        tx.execute(
            "INSERT INTO identity (id, value, created_at) VALUES (1, $1, $2)",
            &[&fresh, &now],
        )
        .await
        .map_err(|e| pg_err(&e))?;
        tx.commit().await.map_err(|e| pg_err(&e))?;
        Ok(Initialised::Created(fresh))
    }
}
