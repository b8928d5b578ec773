//! Rate-limit windows on Redis: a hash per key, counted by a script.

use redis::AsyncCommands as _;

use super::RedisStore;
use crate::traits::RateLimits;
use crate::traits::Result;
use crate::RateDecision;

impl RateLimits for RedisStore {
    async fn hit(&self, key: &str, limit: u64, window_secs: i64, now: i64) -> Result<RateDecision> {
        let start = crate::ratelimit::window_start(key, limit, window_secs, now)?;
        let rkey = self.key(&["rate", key]);
        let script = &self.scripts.hit;
        let count: u64 = self
            .run(|mut c| async move {
                script
                    .key(rkey)
                    .arg(start)
                    .arg(start.saturating_add(window_secs))
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(RateDecision::of(count, limit, start, window_secs, now))
    }

    async fn forgive(&self, key: &str, window_secs: i64, now: i64) -> Result<()> {
        let start = crate::ratelimit::window_start(key, 1, window_secs, now)?;
        let rkey = self.key(&["rate", key]);
        let script = &self.scripts.forgive;
        let _: i64 = self
            .run(|mut c| async move { script.key(rkey).arg(start).invoke_async(&mut c).await })
            .await?;
        Ok(())
    }

    async fn reset(&self, key: &str) -> Result<()> {
        let rkey = self.key(&["rate", key]);
        self.run(|mut c| async move { c.del(rkey).await }).await
    }
}
