//! The shared backend: several service instances on one Redis. Every
//! read-modify-write is one Lua script (atomic on the server); token denials
//! carry a TTL equal to the token's remaining lifetime; revocations are
//! appended to a stream (the feed views catch up from) and announced on a
//! pub/sub channel so that every instance learns of them at once. The
//! connection reconnects by itself; while Redis is away every operation fails
//! within `op_timeout` with [`StoreError::Unavailable`].

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands as _, IntoConnectionInfo as _, ProtocolVersion, Script};
use tokio::sync::Notify;

use crate::families::check_id;
use crate::revocation::judge;
use crate::traits::{
    Clients, Events, Families, RateLimits, Result, Revocations, SigningKeys, Store, Users,
};
use crate::{
    normalise_username, Changes, Client, ClientSecretHash, Event, EventQuery, Family, KeyRecord,
    NewFamily, PasswordHash, RateDecision, Revocation, RevocationSnapshot, Revoked, RotateOutcome,
    StoreError, User,
};

/// Where and how to reach Redis.
#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://host:port/db` (credentials in the URL are never printed).
    pub url: String,
    /// Prefix of every key, so several deployments (or tests) share one Redis.
    pub prefix: String,
    /// Longest an operation may take before it fails as unavailable.
    pub op_timeout: Duration,
}

impl std::fmt::Debug for RedisConfig {
    /// The URL's user and password (`redis://user:pass@host`) are never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = match self.url.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://<credentials>@{host}"),
                None => self.url.clone(),
            },
            None => "<unparsed>".to_owned(),
        };
        f.debug_struct("RedisConfig")
            .field("url", &url)
            .field("prefix", &self.prefix)
            .field("op_timeout", &self.op_timeout)
            .finish()
    }
}

impl RedisConfig {
    /// The local default: `redis://127.0.0.1:6379`, prefix `jwtkeep:`, 2 s per operation.
    pub fn new(url: impl Into<String>) -> RedisConfig {
        RedisConfig {
            url: url.into(),
            prefix: "jwtkeep:".to_owned(),
            op_timeout: Duration::from_secs(2),
        }
    }

    /// Uses `prefix` for every key.
    pub fn prefix(mut self, prefix: impl Into<String>) -> RedisConfig {
        self.prefix = prefix.into();
        self
    }
}

/// A store on Redis. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: Arc<str>,
    op_timeout: Duration,
    notify: Arc<Notify>,
    scripts: Arc<Scripts>,
}

struct Scripts {
    revoke: Script,
    rotate: Script,
    revoke_families: Script,
    hit: Script,
    lock: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn unavailable(reason: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable {
        backend: "redis",
        reason: reason.to_string(),
    }
}

fn redis_err(e: &redis::RedisError) -> StoreError {
    // The error's text may quote the URL; keep only its kind and category.
    unavailable(format!("{:?}: {}", e.kind(), e.category()))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::corrupt(format!("a Redis record is malformed: {what}"))
}

/// Length-prefixed key parts, so that no two (issuer, jti) pairs share a key.
fn part(s: &str) -> String {
    format!("{}:{s}", s.len())
}

/// Stream entries as Redis returns them: (id, [(field, value)]).
type StreamRows = Vec<(String, Vec<(String, String)>)>;
/// (denied `[issuer, jti]` members with their exp, subject cut-offs, global cut-off).
type SnapshotParts = (Vec<(String, i64)>, Vec<(String, i64)>, Option<i64>);

/// Stream ids `ms-seq` compared as numbers.
fn stream_id(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

impl RedisStore {
    /// Connects to Redis (over RESP3, which carries the pub/sub announcements
    /// on the same connection) and subscribes to the revocation channel.
    pub async fn open(config: RedisConfig) -> Result<RedisStore> {
        let info = config
            .url
            .as_str()
            .into_connection_info()
            .map_err(|e| StoreError::invalid("Redis URL", format!("{:?}", e.kind())))?;
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let client =
            redis::Client::open(info.set_redis_settings(settings)).map_err(|e| redis_err(&e))?;
        let notify = Arc::new(Notify::new());
        let wake = Arc::clone(&notify);
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.op_timeout))
            .set_response_timeout(Some(config.op_timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500))
            .set_automatic_resubscription()
            .set_push_sender(move |_info: redis::PushInfo| {
                wake.notify_waiters();
                Ok::<(), redis::aio::SendError>(())
            });
        let mut conn = tokio::time::timeout(
            config.op_timeout,
            client.get_connection_manager_with_config(manager_config),
        )
        .await
        .map_err(|_| unavailable("no answer in time"))?
        .map_err(|e| redis_err(&e))?;
        let channel = format!("{}revocations", config.prefix);
        tokio::time::timeout(config.op_timeout, conn.subscribe(&channel))
            .await
            .map_err(|_| unavailable("no answer in time"))?
            .map_err(|e| redis_err(&e))?;
        Ok(RedisStore {
            conn,
            prefix: config.prefix.into(),
            op_timeout: config.op_timeout,
            notify,
            scripts: Arc::new(Scripts {
                revoke: Script::new(include_str!("revoke.lua")),
                rotate: Script::new(include_str!("rotate.lua")),
                revoke_families: Script::new(include_str!("revoke_families.lua")),
                hit: Script::new(include_str!("hit.lua")),
                lock: Script::new(include_str!("lock.lua")),
            }),
        })
    }

    fn key(&self, parts: &[&str]) -> String {
        let mut key = self.prefix.to_string();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                key.push(':');
            }
            key.push_str(p);
        }
        key
    }

    /// Runs one operation within the timeout; a timeout or a connection error is `Unavailable`.
    async fn run<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(self.op_timeout, op(self.conn.clone())).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(redis_err(&e)),
            Err(_) => Err(unavailable("no answer in time")),
        }
    }

    fn feed_key(&self) -> String {
        self.key(&["revlog"])
    }
}

impl Revocations for RedisStore {
    async fn revoke(&self, revocation: Revocation, now: i64) -> Result<()> {
        self.record_revocation(revocation, false, now)
            .await
            .map(|_| ())
    }

    async fn consume(&self, issuer: &str, jti: &str, exp: i64, now: i64) -> Result<bool> {
        let token = Revocation::Token {
            issuer: issuer.to_owned(),
            jti: jti.to_owned(),
            exp,
        };
        self.record_revocation(token, true, now).await
    }

    async fn is_revoked(
        &self,
        issuer: &str,
        jti: &str,
        subject: &str,
        iat: i64,
        now: i64,
    ) -> Result<Option<Revoked>> {
        let deny = self.key(&["deny", &part(issuer), jti]);
        let (subjects, global) = (self.key(&["subjects"]), self.key(&["global"]));
        let (exp, subject_before, global_before): (Option<i64>, Option<i64>, Option<i64>) = self
            .run(|mut c| async move {
                redis::pipe()
                    .get(deny)
                    .hget(subjects, subject)
                    .get(global)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(judge(
            exp.is_some_and(|e| e > now),
            subject_before,
            global_before,
            iat,
        ))
    }

    async fn snapshot(&self, now: i64) -> Result<RevocationSnapshot> {
        // The cursor first: anything revoked meanwhile is in the data read
        // next, or after the cursor, or both (applying twice is harmless).
        let feed = self.feed_key();
        let last: StreamRows = self
            .run(|mut c| async move {
                redis::cmd("XREVRANGE")
                    .arg(feed)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let cursor = last
            .first()
            .map_or_else(|| "0-0".to_owned(), |(id, _)| id.clone());
        let (idx, subjects, global) = (
            self.key(&["denyidx"]),
            self.key(&["subjects"]),
            self.key(&["global"]),
        );
        let (denied, cutoffs, global_before): SnapshotParts = self
            .run(|mut c| async move {
                redis::pipe()
                    .cmd("ZRANGE")
                    .arg(&idx)
                    .arg(format!("({now}"))
                    .arg("+inf")
                    .arg("BYSCORE")
                    .arg("WITHSCORES")
                    .hgetall(subjects)
                    .get(global)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let mut entries = Vec::with_capacity(denied.len() + cutoffs.len() + 1);
        for (member, exp) in denied {
            let (issuer, jti): (String, String) =
                serde_json::from_str(&member).map_err(|_| corrupt("denial index member"))?;
            entries.push(Revocation::Token { issuer, jti, exp });
        }
        for (subject, before) in cutoffs {
            entries.push(Revocation::Subject { subject, before });
        }
        if let Some(before) = global_before {
            entries.push(Revocation::All { before });
        }
        Ok(RevocationSnapshot { entries, cursor })
    }

    async fn changes_since(&self, cursor: &str) -> Result<Changes> {
        let from = stream_id(cursor)
            .ok_or_else(|| StoreError::invalid("cursor", "not a cursor of this store"))?;
        let (feed, trimmed_key) = (self.feed_key(), self.key(&["revlog", "trimmed"]));
        let cursor = cursor.to_owned();
        let (trimmed, newest, rows): (Option<String>, StreamRows, StreamRows) = self
            .run(|mut c| async move {
                redis::pipe()
                    .get(trimmed_key)
                    .cmd("XREVRANGE")
                    .arg(&feed)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1)
                    .cmd("XRANGE")
                    .arg(&feed)
                    .arg(format!("({cursor}"))
                    .arg("+")
                    .arg("COUNT")
                    .arg(10_000)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        // Trimmed past the cursor, or the feed went back in time (Redis restarted
        // without its data): what the view holds can no longer be patched.
        let newest = newest
            .first()
            .and_then(|(id, _)| stream_id(id))
            .unwrap_or((0, 0));
        let trimmed_past = trimmed
            .as_deref()
            .and_then(stream_id)
            .is_some_and(|t| from < t);
        if trimmed_past || newest < from {
            return Ok(Changes::Reload);
        }
        let mut entries = Vec::with_capacity(rows.len());
        let mut last = None;
        for (id, fields) in rows {
            let text = fields
                .iter()
                .find(|(k, _)| k == "e")
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| corrupt("feed entry"))?;
            entries.push(serde_json::from_str(text).map_err(|_| corrupt("feed entry"))?);
            last = Some(id);
        }
        Ok(Changes::Since {
            entries,
            cursor: last.unwrap_or_else(|| format!("{}-{}", from.0, from.1)),
        })
    }

    fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.notify)
    }

    async fn purge_expired(&self, now: i64) -> Result<u64> {
        // Denials, families, windows and locks expire by TTL; the index and the feed are trimmed here.
        let (idx, feed, trimmed_key) = (
            self.key(&["denyidx"]),
            self.feed_key(),
            self.key(&["revlog", "trimmed"]),
        );
        let horizon_ms = u64::try_from(now.saturating_sub(86_400))
            .unwrap_or(0)
            .saturating_mul(1000);
        let horizon = format!("{horizon_ms}-0");
        let (removed, trimmed): (u64, u64) = self
            .run(|mut c| async move {
                let removed: u64 = c.zrembyscore(&idx, "-inf", now).await?;
                let trimmed: u64 = redis::cmd("XTRIM")
                    .arg(&feed)
                    .arg("MINID")
                    .arg(&horizon)
                    .query_async(&mut c)
                    .await?;
                if trimmed > 0 {
                    let () = c.set(&trimmed_key, &horizon).await?;
                }
                Ok((removed, trimmed))
            })
            .await?;
        Ok(removed.saturating_add(trimmed))
    }
}

fn family_from(id: &str, map: &std::collections::HashMap<String, String>) -> Result<Family> {
    let text = |k: &str| map.get(k).cloned().ok_or_else(|| corrupt("family"));
    let num = |k: &str| -> Result<i64> { text(k)?.parse().map_err(|_| corrupt("family")) };
    let revoked_at = match map.get("revoked_at").map(String::as_str) {
        None | Some("") => None,
        Some(v) => Some(v.parse().map_err(|_| corrupt("family"))?),
    };
    Ok(Family {
        id: id.to_owned(),
        subject: text("subject")?,
        current_jti: text("current")?,
        previous_jti: map.get("previous").filter(|v| !v.is_empty()).cloned(),
        created_at: num("created")?,
        rotated_at: num("rotated")?,
        idle_expires_at: num("idle_exp")?,
        absolute_expires_at: num("abs_exp")?,
        idle_secs: num("idle_secs")?,
        grace_secs: num("grace_secs")?,
        revoked_at,
        revoked_reason: map.get("reason").filter(|v| !v.is_empty()).cloned(),
    })
}

impl Families for RedisStore {
    async fn create_family(&self, family: NewFamily) -> Result<()> {
        family.validate()?;
        let f = family.initial();
        let (key, jtis, subject_set) = (
            self.key(&["fam", &f.id]),
            self.key(&["fam", &f.id, "jtis"]),
            self.key(&["subfams", &f.subject]),
        );
        let created: bool = self
            .run(|mut c| async move {
                let created: bool = c.hset_nx(&key, "subject", &f.subject).await?;
                if !created {
                    return Ok(false);
                }
                redis::pipe()
                    .atomic()
                    .hset_multiple(
                        &key,
                        &[
                            ("current", f.current_jti.clone()),
                            ("created", f.created_at.to_string()),
                            ("rotated", f.rotated_at.to_string()),
                            ("idle_exp", f.idle_expires_at.to_string()),
                            ("abs_exp", f.absolute_expires_at.to_string()),
                            ("idle_secs", f.idle_secs.to_string()),
                            ("grace_secs", f.grace_secs.to_string()),
                        ],
                    )
                    .ignore()
                    .expire_at(&key, f.absolute_expires_at)
                    .ignore()
                    .sadd(&jtis, &f.current_jti)
                    .ignore()
                    .expire_at(&jtis, f.absolute_expires_at)
                    .ignore()
                    .sadd(&subject_set, &f.id)
                    .ignore()
                    .query_async::<()>(&mut c)
                    .await?;
                Ok(true)
            })
            .await?;
        if created {
            Ok(())
        } else {
            Err(StoreError::Conflict { what: "family id" })
        }
    }

    async fn rotate_family(
        &self,
        id: &str,
        presented: &str,
        successor: &str,
        now: i64,
    ) -> Result<RotateOutcome> {
        check_id("jti", successor)?;
        let keys = [self.key(&["fam", id]), self.key(&["fam", id, "jtis"])];
        let script = &self.scripts.rotate;
        let reply: Vec<String> = self
            .run(|mut c| async move {
                script
                    .key(&keys[..])
                    .arg(presented)
                    .arg(successor)
                    .arg(now)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        let num = |i: usize| -> Result<i64> {
            reply
                .get(i)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| corrupt("rotation reply"))
        };
        let text = |i: usize| {
            reply
                .get(i)
                .cloned()
                .ok_or_else(|| corrupt("rotation reply"))
        };
        match reply.first().map(String::as_str) {
            Some("rotated") => Ok(RotateOutcome::Rotated {
                successor: text(1)?,
                idle_expires_at: num(2)?,
                absolute_expires_at: num(3)?,
            }),
            Some("grace") => Ok(RotateOutcome::Grace {
                successor: text(1)?,
                idle_expires_at: num(2)?,
                absolute_expires_at: num(3)?,
            }),
            Some("reuse") => Ok(RotateOutcome::ReuseDetected { subject: text(1)? }),
            Some("revoked") => Ok(RotateOutcome::Revoked),
            Some("expired") => Ok(RotateOutcome::Expired),
            Some("unknown") => Ok(RotateOutcome::Unknown),
            Some("successor_used") => Err(StoreError::invalid(
                "successor jti",
                "was already used in this family",
            )),
            _ => Err(corrupt("rotation reply")),
        }
    }

    async fn family(&self, id: &str) -> Result<Option<Family>> {
        let key = self.key(&["fam", id]);
        let map: std::collections::HashMap<String, String> = self
            .run(|mut c| async move { c.hgetall(key).await })
            .await?;
        if map.is_empty() {
            return Ok(None);
        }
        family_from(id, &map).map(Some)
    }

    async fn families_of(&self, subject: &str, now: i64) -> Result<Vec<Family>> {
        let set = self.key(&["subfams", subject]);
        let ids: Vec<String> = self
            .run(|mut c| async move { c.smembers(set).await })
            .await?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(f) = self.family(&id).await? {
                if f.is_live(now) {
                    out.push(f);
                }
            }
        }
        out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(out)
    }

    async fn revoke_family(&self, id: &str, reason: &str, now: i64) -> Result<bool> {
        let key = self.key(&["fam", id]);
        let script = Script::new(
            "if not redis.call('HGET', KEYS[1], 'subject') then return 0 end
             local r = redis.call('HGET', KEYS[1], 'revoked_at')
             if r and r ~= '' then return 0 end
             redis.call('HSET', KEYS[1], 'revoked_at', ARGV[1], 'reason', ARGV[2])
             return 1",
        );
        let n: i64 = self
            .run(|mut c| async move {
                script
                    .key(key)
                    .arg(now)
                    .arg(reason)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(n == 1)
    }

    async fn revoke_families_of(&self, subject: &str, reason: &str, now: i64) -> Result<u64> {
        let n = self.revoke_subject(subject, reason, now, None).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

impl RedisStore {
    /// Records a revocation; with `once`, a token denial only if it is not
    /// denied already, answering whether this call recorded it.
    async fn record_revocation(
        &self,
        revocation: Revocation,
        once: bool,
        now: i64,
    ) -> Result<bool> {
        if !revocation.worth_storing(now)? {
            // Expired already: nothing to deny, and nothing left to use.
            return Ok(false);
        }
        let entry =
            serde_json::to_string(&revocation).map_err(|e| StoreError::corrupt(e.to_string()))?;
        let (kind, a, b, value) = match &revocation {
            Revocation::Token { issuer, jti, exp } => {
                let kind = if once { "consume" } else { "token" };
                (kind, issuer.as_str(), jti.as_str(), *exp)
            }
            Revocation::Subject { subject, before } => ("subject", subject.as_str(), "", *before),
            Revocation::All { before } => ("all", "", "", *before),
        };
        let deny_key = self.key(&["deny", &part(a), b]);
        let keys = [
            deny_key,
            self.key(&["denyidx"]),
            self.key(&["subjects"]),
            self.key(&["global"]),
            self.feed_key(),
        ];
        let channel = self.key(&["revocations"]);
        let script = &self.scripts.revoke;
        let id: String = self
            .run(|mut c| async move {
                script
                    .key(&keys[..])
                    .arg(kind)
                    .arg(a)
                    .arg(b)
                    .arg(value)
                    .arg(entry)
                    .arg(now)
                    .arg(channel)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(!id.is_empty())
    }

    /// Revokes the subject's live families, after setting a new password hash when one is given.
    async fn revoke_subject(
        &self,
        subject: &str,
        reason: &str,
        now: i64,
        password: Option<&str>,
    ) -> Result<i64> {
        let keys = [
            self.key(&["subfams", subject]),
            self.key(&["user", subject]),
        ];
        let prefix = self.prefix.to_string();
        let script = &self.scripts.revoke_families;
        self.run(|mut c| async move {
            script
                .key(&keys[..])
                .arg(reason)
                .arg(now)
                .arg(prefix)
                .arg(password.unwrap_or(""))
                .invoke_async(&mut c)
                .await
        })
        .await
    }

    async fn load_user(&self, id: &str) -> Result<Option<User>> {
        let key = self.key(&["user", id]);
        let map: std::collections::HashMap<String, String> = self
            .run(|mut c| async move { c.hgetall(key).await })
            .await?;
        if map.is_empty() {
            return Ok(None);
        }
        let text = |k: &str| map.get(k).cloned().ok_or_else(|| corrupt("user"));
        let num = |k: &str| -> Result<i64> { text(k)?.parse().map_err(|_| corrupt("user")) };
        Ok(Some(User {
            id: id.to_owned(),
            username: text("username")?,
            password_hash: PasswordHash::new(&text("hash")?).map_err(|_| {
                StoreError::corrupt("a stored password hash is not a valid argon2id hash")
            })?,
            disabled: text("disabled")? == "1",
            admin: map.get("admin").is_some_and(|a| a == "1"),
            created_at: num("created")?,
            updated_at: num("updated")?,
        }))
    }
}

impl Users for RedisStore {
    async fn create_user(
        &self,
        username: &str,
        hash: PasswordHash,
        admin: bool,
        now: i64,
    ) -> Result<User> {
        let username = normalise_username(username)
            .map_err(|e| StoreError::invalid("username", e.to_string()))?;
        let id = jwtkeep_core::secret::random_id().map_err(unavailable)?;
        let keys = [
            self.key(&["username", &username]),
            self.key(&["user", &id]),
            self.key(&["usernames"]),
        ];
        // The name is claimed, the user written and listed in one script.
        let script = Script::new(
            "if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
             redis.call('HSET', KEYS[2], 'username', ARGV[2], 'hash', ARGV[3], 'disabled', '0',
               'admin', ARGV[5], 'created', ARGV[4], 'updated', ARGV[4])
             redis.call('ZADD', KEYS[3], 0, ARGV[2])
             return 1",
        );
        let (id_arg, name_arg, hash_arg) = (id.clone(), username.clone(), hash.as_str().to_owned());
        let created: i64 = self
            .run(|mut c| async move {
                script
                    .key(&keys[..])
                    .arg(id_arg)
                    .arg(name_arg)
                    .arg(hash_arg)
                    .arg(now)
                    .arg(if admin { "1" } else { "0" })
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        if created == 0 {
            return Err(StoreError::Conflict { what: "username" });
        }
        Ok(User {
            id,
            username,
            password_hash: hash,
            disabled: false,
            admin,
            created_at: now,
            updated_at: now,
        })
    }

    async fn list_users(&self, limit: usize) -> Result<Vec<User>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let key = self.key(&["usernames"]);
        let stop = isize::try_from(limit)
            .unwrap_or(isize::MAX)
            .saturating_sub(1);
        let names: Vec<String> = self
            .run(|mut c| async move { c.zrange(key, 0, stop).await })
            .await?;
        let mut users = Vec::with_capacity(names.len());
        for name in names {
            if let Some(user) = self.user_by_name(&name).await? {
                users.push(user);
            }
        }
        Ok(users)
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let Ok(username) = normalise_username(username) else {
            return Ok(None);
        };
        let key = self.key(&["username", &username]);
        let id: Option<String> = self.run(|mut c| async move { c.get(key).await }).await?;
        match id {
            Some(id) => self.load_user(&id).await,
            None => Ok(None),
        }
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        self.load_user(id).await
    }

    async fn set_password(&self, id: &str, hash: PasswordHash, now: i64) -> Result<u64> {
        let n = self
            .revoke_subject(id, "password_changed", now, Some(hash.as_str()))
            .await?;
        u64::try_from(n).map_err(|_| StoreError::NotFound { what: "user" })
    }

    async fn set_disabled(&self, id: &str, disabled: bool, now: i64) -> Result<()> {
        let key = self.key(&["user", id]);
        let script = Script::new(
            "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
             redis.call('HSET', KEYS[1], 'disabled', ARGV[1], 'updated', ARGV[2])
             return 1",
        );
        let n: i64 = self
            .run(|mut c| async move {
                script
                    .key(key)
                    .arg(if disabled { "1" } else { "0" })
                    .arg(now)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound { what: "user" });
        }
        Ok(())
    }
}

impl Clients for RedisStore {
    async fn create_client(
        &self,
        name: &str,
        secret_hash: ClientSecretHash,
        now: i64,
    ) -> Result<Client> {
        let name = normalise_username(name)
            .map_err(|e| StoreError::invalid("client name", e.to_string()))?;
        let key = self.key(&["clients"]);
        let value = format!("{}:{now}", secret_hash.to_hex());
        let field = name.clone();
        let created: bool = self
            .run(|mut c| async move { c.hset_nx(key, field, value).await })
            .await?;
        if !created {
            return Err(StoreError::Conflict {
                what: "client name",
            });
        }
        Ok(Client {
            name,
            secret_hash,
            created_at: now,
        })
    }

    async fn client(&self, name: &str) -> Result<Option<Client>> {
        let Ok(name) = normalise_username(name) else {
            return Ok(None);
        };
        let key = self.key(&["clients"]);
        let field = name.clone();
        let value: Option<String> = self
            .run(|mut c| async move { c.hget(key, field).await })
            .await?;
        value.map(|v| redis_client(name, &v)).transpose()
    }

    async fn list_clients(&self) -> Result<Vec<Client>> {
        let key = self.key(&["clients"]);
        let all: std::collections::BTreeMap<String, String> = self
            .run(|mut c| async move { c.hgetall(key).await })
            .await?;
        all.into_iter()
            .map(|(name, v)| redis_client(name, &v))
            .collect()
    }

    async fn delete_client(&self, name: &str) -> Result<bool> {
        let Ok(name) = normalise_username(name) else {
            return Ok(false);
        };
        let key = self.key(&["clients"]);
        let removed: i64 = self
            .run(|mut c| async move { c.hdel(key, name).await })
            .await?;
        Ok(removed > 0)
    }
}

/// A client from its hash field: `hex-hash:created`.
fn redis_client(name: String, value: &str) -> Result<Client> {
    let bad = || corrupt("client");
    let (hash, created) = value.split_once(':').ok_or_else(bad)?;
    Ok(Client {
        name,
        secret_hash: ClientSecretHash::from_hex(hash).ok_or_else(bad)?,
        created_at: created.parse().map_err(|_| bad())?,
    })
}

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

    async fn reset(&self, key: &str) -> Result<()> {
        let rkey = self.key(&["rate", key]);
        self.run(|mut c| async move { c.del(rkey).await }).await
    }
}

impl SigningKeys for RedisStore {
    async fn put_key(&self, record: KeyRecord) -> Result<()> {
        record.validate()?;
        let (key, set) = (
            self.key(&["key", &record.purpose, &record.kid]),
            self.key(&["keys", &record.purpose]),
        );
        let opt = |v: Option<i64>| v.map_or_else(String::new, |v| v.to_string());
        let script = Script::new(
            "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
             redis.call('HSET', KEYS[1], 'alg', ARGV[1], 'created', ARGV[2], 'published', ARGV[3],
               'active_from', ARGV[4], 'active_until', ARGV[5], 'verify_until', ARGV[6],
               'public_jwk', ARGV[7], 'sealed', ARGV[8])
             redis.call('SADD', KEYS[2], ARGV[9])
             return 1",
        );
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
        let script = Script::new(
            "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
             redis.call('HSET', KEYS[1], 'active_until', ARGV[1], 'verify_until', ARGV[2])
             return 1",
        );
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
        let script = Script::new(
            "if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then redis.call('DEL', KEYS[1]) end
             return 1",
        );
        let _: i64 = self
            .run(|mut c| async move { script.key(key).arg(holder).invoke_async(&mut c).await })
            .await?;
        Ok(())
    }
}

impl Events for RedisStore {
    async fn record(&self, event: Event) -> Result<()> {
        event.validate()?;
        let (zset, seq_key) = (self.key(&["events"]), self.key(&["events", "seq"]));
        let body = serde_json::to_string(&event).map_err(|e| StoreError::corrupt(e.to_string()))?;
        let at = event.at;
        self.run(|mut c| async move {
            let seq: u64 = c.incr(&seq_key, 1).await?;
            // Members sort by the sequence number within one second.
            let member = format!("{seq:020}\t{body}");
            c.zadd(&zset, member, at).await
        })
        .await
    }

    async fn events(&self, query: EventQuery) -> Result<Vec<Event>> {
        let zset = self.key(&["events"]);
        let mut out = Vec::new();
        let mut offset = 0usize;
        const PAGE: usize = 1000;
        while out.len() < query.limit {
            let (z, from, to) = (zset.clone(), query.from, query.to);
            let page: Vec<String> = self
                .run(|mut c| async move {
                    redis::cmd("ZRANGE")
                        .arg(z)
                        .arg(from)
                        .arg(format!("({to}"))
                        .arg("BYSCORE")
                        .arg("LIMIT")
                        .arg(offset)
                        .arg(PAGE)
                        .query_async(&mut c)
                        .await
                })
                .await?;
            let done = page.len() < PAGE;
            offset += page.len();
            for member in page {
                let (_, body) = member.split_once('\t').ok_or_else(|| corrupt("event"))?;
                let event: Event = serde_json::from_str(body).map_err(|_| corrupt("event"))?;
                if query.selects(&event.name) && out.len() < query.limit {
                    out.push(event);
                }
            }
            if done {
                break;
            }
        }
        Ok(out)
    }

    async fn purge_events(&self, before: i64) -> Result<u64> {
        let zset = self.key(&["events"]);
        self.run(|mut c| async move { c.zrembyscore(zset, "-inf", format!("({before}")).await })
            .await
    }
}

impl Store for RedisStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> Result<()> {
        self.run(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_urls_credentials() {
        let config = RedisConfig::new("redis://app:s3cr3t-pass@cache.internal:6379/2");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("app:"), "{shown}");
        assert!(shown.contains("cache.internal:6379/2"), "{shown}");
    }
}
