//! Signing keys and the rotation lock in SQLite.

use rusqlite::params;

use super::{db_err, is_unique_violation, SqliteStore};
use crate::traits::Result;
use crate::traits::SigningKeys;
use crate::validate::check_id;
use crate::{KeyRecord, StoreError};

fn key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(KeyRecordRow, String)> {
    Ok((
        KeyRecordRow {
            purpose: r.get(0)?,
            kid: r.get(1)?,
            created_at: r.get(3)?,
            published_at: r.get(4)?,
            active_from: r.get(5)?,
            active_until: r.get(6)?,
            verify_until: r.get(7)?,
            public_jwk: r.get(8)?,
            sealed: r.get(9)?,
        },
        r.get(2)?,
    ))
}

/// A key record before its algorithm name is checked.
struct KeyRecordRow {
    purpose: String,
    kid: String,
    created_at: i64,
    published_at: i64,
    active_from: i64,
    active_until: Option<i64>,
    verify_until: Option<i64>,
    public_jwk: Option<String>,
    sealed: Vec<u8>,
}

impl SigningKeys for SqliteStore {
    async fn put_key(&self, record: KeyRecord) -> Result<()> {
        record.validate()?;
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO signing_keys (purpose, kid, alg, created_at, published_at, active_from,
                 active_until, verify_until, public_jwk, sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    record.purpose, record.kid, record.alg.name(), record.created_at,
                    record.published_at, record.active_from, record.active_until,
                    record.verify_until, record.public_jwk, record.sealed
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict { what: "key id" }
                } else {
                    db_err(e)
                }
            })?;
            Ok(())
        })
        .await
    }

    async fn keys(&self, purpose: &str) -> Result<Vec<KeyRecord>> {
        let purpose = purpose.to_owned();
        self.with(true, move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT purpose, kid, alg, created_at, published_at, active_from, active_until,
                     verify_until, public_jwk, sealed FROM signing_keys WHERE purpose = ?1
                     ORDER BY active_from, created_at, kid",
                )
                .map_err(db_err)?;
            let rows = stmt.query_map(params![purpose], key_row).map_err(db_err)?;
            let mut out = Vec::new();
            for row in rows {
                let (r, alg) = row.map_err(db_err)?;
                let alg = jwtkeep_core::Algorithm::from_jose_name(&alg).ok_or_else(|| {
                    StoreError::corrupt(format!("key {} has an unknown algorithm", r.kid))
                })?;
                out.push(KeyRecord {
                    purpose: r.purpose,
                    kid: r.kid,
                    alg,
                    created_at: r.created_at,
                    published_at: r.published_at,
                    active_from: r.active_from,
                    active_until: r.active_until,
                    verify_until: r.verify_until,
                    public_jwk: r.public_jwk,
                    sealed: r.sealed,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn set_key_schedule(
        &self,
        purpose: &str,
        kid: &str,
        active_until: Option<i64>,
        verify_until: Option<i64>,
    ) -> Result<()> {
        let (purpose, kid) = (purpose.to_owned(), kid.to_owned());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE signing_keys SET active_until = ?3, verify_until = ?4 WHERE purpose = ?1 AND kid = ?2",
                    params![purpose, kid, active_until, verify_until],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "key" });
            }
            Ok(())
        })
        .await
    }

    async fn delete_key(&self, purpose: &str, kid: &str) -> Result<bool> {
        let (purpose, kid) = (purpose.to_owned(), kid.to_owned());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "DELETE FROM signing_keys WHERE purpose = ?1 AND kid = ?2",
                    params![purpose, kid],
                )
                .map_err(db_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn try_lock(&self, name: &str, holder: &str, ttl_secs: i64, now: i64) -> Result<bool> {
        check_id("lock name", name)?;
        check_id("lock holder", holder)?;
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "INSERT INTO locks (name, holder, expires_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                     WHERE locks.holder = excluded.holder OR locks.expires_at <= ?4",
                    params![name, holder, now.saturating_add(ttl_secs.max(1)), now],
                )
                .map_err(db_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn unlock(&self, name: &str, holder: &str) -> Result<()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM locks WHERE name = ?1 AND holder = ?2",
                params![name, holder],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn announce_keys(&self) -> Result<()> {
        self.inner.keys_notify.notify_waiters();
        Ok(())
    }

    fn keys_notifier(&self) -> std::sync::Arc<tokio::sync::Notify> {
        std::sync::Arc::clone(&self.inner.keys_notify)
    }
}
