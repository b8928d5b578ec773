//! Rate-limit windows in SQLite, on the fast (`synchronous = NORMAL`) connection.

use rusqlite::params;

use super::{db_err, SqliteStore};
use crate::traits::RateLimits;
use crate::traits::Result;
use crate::RateDecision;

impl RateLimits for SqliteStore {
    async fn hit(&self, key: &str, limit: u64, window_secs: i64, now: i64) -> Result<RateDecision> {
        let start = crate::ratelimit::window_start(key, limit, window_secs, now)?;
        let key = key.to_owned();
        let count: i64 = self
            .with(false, move |conn| {
                conn.prepare_cached(
                    "INSERT INTO rate_windows (key, window_start, count, expires_at) VALUES (?1, ?2, 1, ?3)
                     ON CONFLICT (key) DO UPDATE SET
                       count = CASE WHEN window_start = excluded.window_start THEN count + 1 ELSE 1 END,
                       window_start = excluded.window_start, expires_at = excluded.expires_at
                     RETURNING count",
                )
                .map_err(db_err)?
                .query_row(params![key, start, start.saturating_add(window_secs)], |r| r.get(0))
                .map_err(db_err)
            })
            .await?;
        let count = u64::try_from(count).unwrap_or(u64::MAX);
        Ok(RateDecision::of(count, limit, start, window_secs, now))
    }

    async fn forgive(&self, key: &str, window_secs: i64, now: i64) -> Result<()> {
        let start = crate::ratelimit::window_start(key, 1, window_secs, now)?;
        let key = key.to_owned();
        self.with(false, move |conn| {
            conn.prepare_cached(
                "UPDATE rate_windows SET count = count - 1
                 WHERE key = ?1 AND window_start = ?2 AND count > 0",
            )
            .map_err(db_err)?
            .execute(params![key, start])
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn reset(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.with(false, move |conn| {
            conn.execute("DELETE FROM rate_windows WHERE key = ?1", params![key])
                .map_err(db_err)?;
            Ok(())
        })
        .await
    }
}
