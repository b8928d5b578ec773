//! The connection every operation goes through: one Redis (a reconnecting
//! `ConnectionManager`) or a Redis Cluster (`ClusterConnection`, which
//! follows the slot map). Both speak RESP3, so the announcements arrive on
//! the same connection, and both resubscribe by themselves after a
//! reconnection.
//!
//! On a cluster every key of a deployment carries one hash tag (the key
//! prefix in braces, `{jwtkeep:}`): all of them live in one slot, so every
//! Lua script — including the keys it builds from the prefix — runs on one
//! node, and a deployment's data moves as one piece when slots move.

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, Slot, SlotAddr};
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

/// A connection to one Redis or to a cluster. Cheap to clone; clones share it.
#[derive(Clone)]
pub(crate) enum Conn {
    /// One server.
    Single(ConnectionManager),
    /// A cluster.
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

impl Conn {
    /// Subscribes to `channel` (announcements arrive through the push sender).
    pub(crate) async fn subscribe(&mut self, channel: &str) -> RedisResult<()> {
        match self {
            Conn::Single(c) => c.subscribe(channel).await,
            Conn::Cluster(c) => c.subscribe(channel).await,
        }
    }

    /// Runs a keyless command (`SCAN`) where the keys of `slot_key`'s slot
    /// live: on a cluster, the master of that slot; on one Redis, the server.
    pub(crate) async fn query_at<T: redis::FromRedisValue>(
        &mut self,
        cmd: Cmd,
        slot_key: &str,
    ) -> RedisResult<T> {
        match self {
            Conn::Single(c) => cmd.query_async(c).await,
            Conn::Cluster(c) => {
                let route = Route::with_slot(Slot::for_key(slot_key), SlotAddr::Master);
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route));
                let value = c.route_command(cmd, routing).await?;
                T::from_redis_value(value).map_err(Into::into)
            }
        }
    }
}
