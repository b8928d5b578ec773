//! [`AnyStore`]: the configured backend behind one type, so that code which
//! opens "whatever the settings say" (the binary, the server) is written and
//! compiled once instead of once per backend.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::traits::{
    Clients, Events, Families, Identity, RateLimits, Result, RevocationFeed, Revocations,
    SigningKeys, Store, Users,
};
use crate::{
    Changes, Client, ClientSecretHash, Event, EventQuery, Family, Initialised, KeyRecord,
    NewFamily, PasswordHash, PostgresStore, RateDecision, RedisStore, Revocation,
    RevocationSnapshot, Revoked, RotateOutcome, Scopes, SqliteStore, TokenFacts, User,
};

/// One of the backends, chosen at run time. Cheap to clone.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyStore {
    /// The embedded default.
    Sqlite(SqliteStore),
    /// Shared state on Redis (one server or a cluster).
    Redis(RedisStore),
    /// Shared, durable state on PostgreSQL.
    Postgres(PostgresStore),
}

impl From<SqliteStore> for AnyStore {
    fn from(store: SqliteStore) -> AnyStore {
        AnyStore::Sqlite(store)
    }
}

impl From<RedisStore> for AnyStore {
    fn from(store: RedisStore) -> AnyStore {
        AnyStore::Redis(store)
    }
}

impl From<PostgresStore> for AnyStore {
    fn from(store: PostgresStore) -> AnyStore {
        AnyStore::Postgres(store)
    }
}

/// Calls the same method on whichever backend `self` holds.
macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call,
            AnyStore::Redis($store) => $call,
            AnyStore::Postgres($store) => $call,
        }
    };
}

impl RevocationFeed for AnyStore {
    async fn identity(&self) -> Result<Option<String>> {
        dispatch!(self, s => s.identity().await)
    }

    async fn snapshot(&self, now: i64) -> Result<RevocationSnapshot> {
        dispatch!(self, s => s.snapshot(now).await)
    }

    async fn changes_since(&self, cursor: &str) -> Result<Changes> {
        dispatch!(self, s => s.changes_since(cursor).await)
    }

    fn notifier(&self) -> Arc<Notify> {
        dispatch!(self, s => s.notifier())
    }
}

impl Revocations for AnyStore {
    async fn revoke(&self, revocation: Revocation, now: i64) -> Result<()> {
        dispatch!(self, s => s.revoke(revocation, now).await)
    }

    async fn consume(&self, issuer: &str, jti: &str, exp: i64, now: i64) -> Result<bool> {
        dispatch!(self, s => s.consume(issuer, jti, exp, now).await)
    }

    async fn is_revoked(&self, token: TokenFacts<'_>, now: i64) -> Result<Option<Revoked>> {
        dispatch!(self, s => s.is_revoked(token, now).await)
    }

    async fn purge_expired(&self, now: i64) -> Result<u64> {
        dispatch!(self, s => s.purge_expired(now).await)
    }
}

impl Families for AnyStore {
    async fn create_family(&self, family: NewFamily) -> Result<()> {
        dispatch!(self, s => s.create_family(family).await)
    }

    async fn rotate_family(
        &self,
        id: &str,
        presented: &str,
        successor: &str,
        now: i64,
    ) -> Result<RotateOutcome> {
        dispatch!(self, s => s.rotate_family(id, presented, successor, now).await)
    }

    async fn family(&self, id: &str) -> Result<Option<Family>> {
        dispatch!(self, s => s.family(id).await)
    }

    async fn families_of(&self, subject: &str, now: i64) -> Result<Vec<Family>> {
        dispatch!(self, s => s.families_of(subject, now).await)
    }

    async fn revoke_family(&self, id: &str, reason: &str, now: i64) -> Result<bool> {
        dispatch!(self, s => s.revoke_family(id, reason, now).await)
    }

    async fn revoke_families_of(&self, subject: &str, reason: &str, now: i64) -> Result<u64> {
        dispatch!(self, s => s.revoke_families_of(subject, reason, now).await)
    }
}

impl Users for AnyStore {
    async fn create_user(
        &self,
        username: &str,
        hash: PasswordHash,
        admin: bool,
        scopes: Scopes,
        now: i64,
    ) -> Result<User> {
        dispatch!(self, s => s.create_user(username, hash, admin, scopes, now).await)
    }

    async fn list_users(&self, limit: usize) -> Result<Vec<User>> {
        dispatch!(self, s => s.list_users(limit).await)
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        dispatch!(self, s => s.user_by_name(username).await)
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        dispatch!(self, s => s.user_by_id(id).await)
    }

    async fn set_password(
        &self,
        id: &str,
        hash: PasswordHash,
        keep: Option<&str>,
        now: i64,
    ) -> Result<u64> {
        dispatch!(self, s => s.set_password(id, hash, keep, now).await)
    }

    async fn set_disabled(&self, id: &str, disabled: bool, now: i64) -> Result<()> {
        dispatch!(self, s => s.set_disabled(id, disabled, now).await)
    }

    async fn set_scopes(&self, id: &str, scopes: Scopes, now: i64) -> Result<u64> {
        dispatch!(self, s => s.set_scopes(id, scopes, now).await)
    }

    async fn delete_user(&self, id: &str, now: i64) -> Result<u64> {
        dispatch!(self, s => s.delete_user(id, now).await)
    }
}

impl RateLimits for AnyStore {
    async fn hit(&self, key: &str, limit: u64, window_secs: i64, now: i64) -> Result<RateDecision> {
        dispatch!(self, s => s.hit(key, limit, window_secs, now).await)
    }

    async fn reset(&self, key: &str) -> Result<()> {
        dispatch!(self, s => s.reset(key).await)
    }

    async fn forgive(&self, key: &str, window_secs: i64, now: i64) -> Result<()> {
        dispatch!(self, s => s.forgive(key, window_secs, now).await)
    }
}

impl SigningKeys for AnyStore {
    async fn put_key(&self, record: KeyRecord) -> Result<()> {
        dispatch!(self, s => s.put_key(record).await)
    }

    async fn keys(&self, purpose: &str) -> Result<Vec<KeyRecord>> {
        dispatch!(self, s => s.keys(purpose).await)
    }

    async fn set_key_schedule(
        &self,
        purpose: &str,
        kid: &str,
        active_until: Option<i64>,
        verify_until: Option<i64>,
    ) -> Result<()> {
        dispatch!(self, s => s.set_key_schedule(purpose, kid, active_until, verify_until).await)
    }

    async fn delete_key(&self, purpose: &str, kid: &str) -> Result<bool> {
        dispatch!(self, s => s.delete_key(purpose, kid).await)
    }

    async fn try_lock(&self, name: &str, holder: &str, ttl_secs: i64, now: i64) -> Result<bool> {
        dispatch!(self, s => s.try_lock(name, holder, ttl_secs, now).await)
    }

    async fn unlock(&self, name: &str, holder: &str) -> Result<()> {
        dispatch!(self, s => s.unlock(name, holder).await)
    }

    async fn announce_keys(&self) -> Result<()> {
        dispatch!(self, s => s.announce_keys().await)
    }

    fn keys_notifier(&self) -> Arc<Notify> {
        dispatch!(self, s => s.keys_notifier())
    }
}

impl Events for AnyStore {
    async fn record(&self, event: Event) -> Result<()> {
        dispatch!(self, s => s.record(event).await)
    }

    async fn events(&self, query: EventQuery) -> Result<Vec<Event>> {
        dispatch!(self, s => s.events(query).await)
    }

    async fn purge_events(&self, before: i64) -> Result<u64> {
        dispatch!(self, s => s.purge_events(before).await)
    }
}

impl Clients for AnyStore {
    async fn create_client(
        &self,
        name: &str,
        secret_hash: ClientSecretHash,
        scopes: Scopes,
        now: i64,
    ) -> Result<Client> {
        dispatch!(self, s => s.create_client(name, secret_hash, scopes, now).await)
    }

    async fn client(&self, name: &str) -> Result<Option<Client>> {
        dispatch!(self, s => s.client(name).await)
    }

    async fn list_clients(&self) -> Result<Vec<Client>> {
        dispatch!(self, s => s.list_clients().await)
    }

    async fn delete_client(&self, name: &str) -> Result<bool> {
        dispatch!(self, s => s.delete_client(name).await)
    }
}

impl Identity for AnyStore {
    async fn initialise(&self, force: bool, now: i64) -> Result<Initialised> {
        dispatch!(self, s => s.initialise(force, now).await)
    }
}

impl Store for AnyStore {
    fn backend(&self) -> &'static str {
        dispatch!(self, s => s.backend())
    }

    async fn ping(&self) -> Result<()> {
        dispatch!(self, s => s.ping().await)
    }
}
