//! Signing keys and the rotation lock on Redis.

use redis::AsyncCommands as _;

use super::{corrupt, RedisStore};
use crate::traits::Result;
use crate::traits::SigningKeys;
use crate::validate::check_id;
use crate::{KeyRecord, StoreError};

impl SigningKeys for RedisStore {
    async fn put_key(&self, record: KeyRecord) -> Result<()> {
        record.validate()?;
        let (key, set) = (
            self.key(&["key", &record.purpose, &record.kid]),
            self.key(&["keys", &record.purpose]),
        );
        let opt = |v: Option<i64>| v.map_or_else(String::new, |v| v.to_string());
        let script = &self.scripts.put_key;
        let args = [
            record.alg.name().to_owned(),
            record.created_at.to_string(),
            record.published_at.to_string(),
            record.active_from.to_string(),
            opt(record.active_until),
            opt(record.verify_until),
            record.public_jwk.clone().unwrap_or_default(),
        ];
        let sealed = record.sealed.clone();
        let kid = record.kid.clone();
        let n: i64 = self
            .run(|mut c| async move {
                script
                    .key(key)
                    .key(set)
                    .arg(&args[..])
                    .arg(sealed)
                    .arg(kid)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        if n == 0 {
            return Err(StoreError::Conflict { what: "key id" });
        }
        Ok(())
    }

    async fn keys(&self, purpose: &str) -> Result<Vec<KeyRecord>> {
        let set = self.key(&["keys", purpose]);
        let kids: Vec<String> = self
            .run(|mut c| async move { c.smembers(set).await })
            .await?;
        let mut out = Vec::with_capacity(kids.len());
        for kid in kids {
            let key = self.key(&["key", purpose, &kid]);
            let map: std::collections::HashMap<String, Vec<u8>> = self
                .run(|mut c| async move { c.hgetall(key).await })
                .await?;
            if map.is_empty() {
                continue;
            }
            let text = |k: &str| -> Result<String> {
                map.get(k)
                    .and_then(|v| String::from_utf8(v.clone()).ok())
                    .ok_or_else(|| corrupt("signing key"))
            };
            let num =
                |k: &str| -> Result<i64> { text(k)?.parse().map_err(|_| corrupt("signing key")) };
            let opt = |k: &str| -> Result<Option<i64>> {
                let v = text(k)?;
                if v.is_empty() {
                    Ok(None)
                } else {
                    v.parse().map(Some).map_err(|_| corrupt("signing key"))
                }
            };
            let public_jwk = text("public_jwk")?;
            out.push(KeyRecord {
                purpose: purpose.to_owned(),
                alg: jwtkeep_core::Algorithm::from_jose_name(&text("alg")?)
                    .ok_or_else(|| corrupt("signing key algorithm"))?,
                kid,
                created_at: num("created")?,
                published_at: num("published")?,
                active_from: num("active_from")?,
                active_until: opt("active_until")?,
                verify_until: opt("verify_until")?,
                public_jwk: (!public_jwk.is_empty()).then_some(public_jwk),
                sealed: map
                    .get("sealed")
                    .cloned()
                    .ok_or_else(|| corrupt("signing key"))?,
            });
        }
        out.sort_by(|a, b| {
            (a.active_from, a.created_at, &a.kid).cmp(&(b.active_from, b.created_at, &b.kid))
        });
        Ok(out)
    }

    async fn set_key_schedule(
        &self,
        purpose: &str,
        kid: &str,
        active_until: Option<i64>,
        verify_until: Option<i64>,
    ) -> Result<()> {
        let key = self.key(&["key", purpose, kid]);
        let opt = |v: Option<i64>| v.map_or_else(String::new, |v| v.to_string());
        let script = &self.scripts.set_key_schedule;
        let (a, v) = (opt(active_until), opt(verify_until));
        let n: i64 = self
            .run(|mut c| async move { script.key(key).arg(a).arg(v).invoke_async(&mut c).await })
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound { what: "key" });
        }
        Ok(())
    }

    async fn delete_key(&self, purpose: &str, kid: &str) -> Result<bool> {
        let (key, set) = (
            self.key(&["key", purpose, kid]),
            self.key(&["keys", purpose]),
        );
        let kid = kid.to_owned();
        let (deleted, _): (i64, i64) = self
            .run(|mut c| async move {
                redis::pipe()
                    .atomic()
                    .del(key)
                    .srem(set, kid)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(deleted > 0)
    }

    async fn try_lock(&self, name: &str, holder: &str, ttl_secs: i64, now: i64) -> Result<bool> {
        check_id("lock name", name)?;
        check_id("lock holder", holder)?;
        let key = self.key(&["lock", name]);
        let script = &self.scripts.lock;
        let n: i64 = self
            .run(|mut c| async move {
                script
                    .key(key)
                    .arg(holder)
                    .arg(now.saturating_add(ttl_secs.max(1)))
                    .arg(now)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(n == 1)
    }

    async fn unlock(&self, name: &str, holder: &str) -> Result<()> {
        let key = self.key(&["lock", name]);
        let script = &self.scripts.unlock;
        let _: i64 = self
            .run(|mut c| async move { script.key(key).arg(holder).invoke_async(&mut c).await })
            .await?;
        Ok(())
    }

    async fn announce_keys(&self) -> Result<()> {
        let channel = self.key(&["keys"]);
        self.run(|mut c| async move {
            redis::cmd("PUBLISH")
                .arg(channel)
                .arg("changed")
                .query_async::<i64>(&mut c)
                .await
        })
        .await
        .map(|_| ())
    }

    fn keys_notifier(&self) -> std::sync::Arc<tokio::sync::Notify> {
        std::sync::Arc::clone(&self.keys_notify)
    }
}
