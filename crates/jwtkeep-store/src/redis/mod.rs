//! The shared backend: several service instances on one Redis. Every
//! read-modify-write is one Lua script (atomic on the server); token denials
//! carry a TTL equal to the token's remaining lifetime; revocations are
//! appended to a stream (the feed views catch up from) and announced on a
//! pub/sub channel so that every instance learns of them at once. The
//! connection reconnects by itself; while Redis is away every operation fails
//! within `op_timeout` with [`StoreError::Unavailable`].

mod clients;
mod conn;
mod events;
mod families;
mod identity;
mod keys;
mod limits;
mod revocations;
mod users;

use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManagerConfig;
use redis::{IntoConnectionInfo as _, ProtocolVersion, Script};

use conn::Conn;
use tokio::sync::Notify;

use crate::traits::{Result, Store};
use crate::StoreError;

/// Where and how to reach Redis.
#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://host:port/db`, or a cluster's `redis-cluster://host:port[,host:port...]`
    /// (credentials in the URL are never printed).
    pub url: String,
    /// Prefix of every key, so several deployments (or tests) share one Redis.
    pub prefix: String,
    /// Longest an operation may take before it fails as unavailable.
    pub op_timeout: Duration,
}

impl std::fmt::Debug for RedisConfig {
    /// The URL's user and password (`redis://user:pass@host`) are never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &crate::validate::redacted_url(&self.url))
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
    conn: Conn,
    prefix: Arc<str>,
    op_timeout: Duration,
    notify: Arc<Notify>,
    /// Woken when another instance announces that keys changed.
    keys_notify: Arc<Notify>,
    scripts: Arc<Scripts>,
}

/// Every Lua script, hashed once when the store opens; `EVALSHA` first,
/// `EVAL` only when the server does not know the hash yet.
struct Scripts {
    revoke: Script,
    rotate: Script,
    revoke_families: Script,
    revoke_family: Script,
    create_user: Script,
    set_disabled: Script,
    hit: Script,
    forgive: Script,
    put_key: Script,
    set_key_schedule: Script,
    lock: Script,
    unlock: Script,
}

impl Scripts {
    fn load() -> Scripts {
        Scripts {
            revoke: Script::new(concat!(
                include_str!("scripts/prelude.lua"),
                include_str!("scripts/revoke.lua")
            )),
            rotate: Script::new(concat!(
                include_str!("scripts/prelude.lua"),
                include_str!("scripts/rotate.lua")
            )),
            revoke_families: Script::new(concat!(
                include_str!("scripts/prelude.lua"),
                include_str!("scripts/revoke_families.lua")
            )),
            revoke_family: Script::new(concat!(
                include_str!("scripts/prelude.lua"),
                include_str!("scripts/revoke_family.lua")
            )),
            create_user: Script::new(include_str!("scripts/create_user.lua")),
            set_disabled: Script::new(include_str!("scripts/set_disabled.lua")),
            hit: Script::new(include_str!("scripts/hit.lua")),
            forgive: Script::new(include_str!("scripts/forgive.lua")),
            put_key: Script::new(include_str!("scripts/put_key.lua")),
            set_key_schedule: Script::new(include_str!("scripts/set_key_schedule.lua")),
            lock: Script::new(include_str!("scripts/lock.lua")),
            unlock: Script::new(include_str!("scripts/unlock.lua")),
        }
    }
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

/// The nodes of a `redis-cluster://[user:pass@]host:port[,host:port...]`
/// URL as `redis://` URLs (each with the credentials), or `None` for any
/// other URL. A cluster has one database: a path is refused.
fn cluster_nodes(url: &str) -> Result<Option<Vec<String>>> {
    let Some(rest) = url.strip_prefix("redis-cluster://") else {
        return Ok(None);
    };
    let bad = |why: &str| StoreError::invalid("Redis Cluster URL", why);
    let (credentials, hosts) = match rest.rsplit_once('@') {
        Some((credentials, hosts)) => (format!("{credentials}@"), hosts),
        None => (String::new(), rest),
    };
    let hosts = hosts.strip_suffix('/').unwrap_or(hosts);
    if hosts.contains(['/', '?', '#']) {
        return Err(bad(
            "a cluster has one database: give host:port[,host:port...] and nothing after",
        ));
    }
    let nodes: Vec<String> = hosts
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| format!("redis://{credentials}{h}"))
        .collect();
    if nodes.is_empty() {
        return Err(bad(
            "name at least one node: redis-cluster://host:port[,host:port...]",
        ));
    }
    Ok(Some(nodes))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::corrupt(format!("a Redis record is malformed: {what}"))
}

impl RedisStore {
    /// Connects to Redis, or to a Redis Cluster for a `redis-cluster://`
    /// URL (over RESP3, which carries the pub/sub announcements on the same
    /// connection), and subscribes to the revocation and key channels. On a
    /// cluster the prefix becomes a hash tag (`{jwtkeep:}`), so that every
    /// key of the deployment is in one slot.
    pub async fn open(config: RedisConfig) -> Result<RedisStore> {
        let cluster_nodes = cluster_nodes(&config.url)?;
        let prefix = match &cluster_nodes {
            Some(_) if !config.prefix.contains('{') => format!("{{{}}}", config.prefix),
            _ => config.prefix.clone(),
        };
        let notify = Arc::new(Notify::new());
        let keys_notify = Arc::new(Notify::new());
        let (wake, wake_keys) = (Arc::clone(&notify), Arc::clone(&keys_notify));
        let keys_channel = format!("{prefix}keys");
        let push = move |info: redis::PushInfo| {
            let message = info.kind == redis::PushKind::Message;
            let about_keys = message
                && matches!(info.data.first(),
                    Some(redis::Value::BulkString(channel)) if channel == keys_channel.as_bytes());
            if about_keys {
                wake_keys.notify_waiters();
            } else {
                wake.notify_waiters();
                if !message {
                    // A reconnection, say: announcements may have been missed.
                    wake_keys.notify_waiters();
                }
            }
            Ok::<(), redis::aio::SendError>(())
        };
        let connecting = async {
            match &cluster_nodes {
                Some(nodes) => {
                    let client = redis::cluster::ClusterClientBuilder::new(nodes.clone())
                        .use_protocol(ProtocolVersion::RESP3)
                        .connection_timeout(config.op_timeout)
                        .response_timeout(config.op_timeout)
                        .retries(2)
                        .push_sender(push)
                        .build()?;
                    client.get_async_connection().await.map(Conn::Cluster)
                }
                None => {
                    let info = config.url.as_str().into_connection_info()?;
                    let settings = info
                        .redis_settings()
                        .clone()
                        .set_protocol(ProtocolVersion::RESP3);
                    let client = redis::Client::open(info.set_redis_settings(settings))?;
                    let manager_config = ConnectionManagerConfig::new()
                        .set_connection_timeout(Some(config.op_timeout))
                        .set_response_timeout(Some(config.op_timeout))
                        .set_number_of_retries(2)
                        .set_max_delay(Duration::from_millis(500))
                        .set_automatic_resubscription()
                        .set_push_sender(push);
                    client
                        .get_connection_manager_with_config(manager_config)
                        .await
                        .map(Conn::Single)
                }
            }
        };
        let mut conn = tokio::time::timeout(config.op_timeout, connecting)
            .await
            .map_err(|_| unavailable("no answer in time"))?
            .map_err(|e| match e.kind() {
                redis::ErrorKind::InvalidClientConfig => {
                    StoreError::invalid("Redis URL", format!("{:?}", e.kind()))
                }
                _ => redis_err(&e),
            })?;
        for channel in ["revocations", "keys"] {
            let channel = format!("{prefix}{channel}");
            tokio::time::timeout(config.op_timeout, conn.subscribe(&channel))
                .await
                .map_err(|_| unavailable("no answer in time"))?
                .map_err(|e| redis_err(&e))?;
        }
        Ok(RedisStore {
            conn,
            prefix: prefix.into(),
            op_timeout: config.op_timeout,
            notify,
            keys_notify,
            scripts: Arc::new(Scripts::load()),
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
        F: FnOnce(Conn) -> Fut,
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
    #[allow(clippy::unwrap_used)]
    fn cluster_urls_name_their_nodes_with_the_credentials() {
        assert_eq!(cluster_nodes("redis://127.0.0.1:6379/0").unwrap(), None);
        assert_eq!(
            cluster_nodes("redis-cluster://u:p@10.0.0.1:7000, 10.0.0.2:7000/").unwrap(),
            Some(vec![
                "redis://u:p@10.0.0.1:7000".to_owned(),
                "redis://u:p@10.0.0.2:7000".to_owned()
            ])
        );
        for bad in [
            "redis-cluster://",
            "redis-cluster://h:1/2",
            "redis-cluster://h:1?x=y",
        ] {
            assert!(
                matches!(cluster_nodes(bad), Err(StoreError::Invalid { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_urls_credentials() {
        let config = RedisConfig::new("redis://app:s3cr3t-pass@cache.internal:6379/2");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("app:"), "{shown}");
        assert!(shown.contains("cache.internal:6379/2"), "{shown}");
    }
}
