//! The trait family every backend implements. Each method is one atomic
//! operation; `now` is seconds since the epoch.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::{
    Changes, Client, ClientSecretHash, Event, EventQuery, Family, Initialised, KeyRecord,
    NewFamily, PasswordHash, RateDecision, Revocation, RevocationSnapshot, Revoked, RotateOutcome,
    Scopes, StoreError, TokenFacts, User,
};

/// Result of a store operation.
pub(crate) type Result<T> = std::result::Result<T, StoreError>;

/// The feed of revocations a [`RevocationView`](crate::RevocationView)
/// follows: a snapshot, the changes since a cursor, and a wake-up when there
/// may be new ones. Every store has it; so can a follower of a service's
/// feed in another process (the guard), which records nothing itself.
pub trait RevocationFeed {
    /// Everything revoked and still relevant, with the feed's cursor.
    fn snapshot(&self, now: i64) -> impl Future<Output = Result<RevocationSnapshot>> + Send;

    /// Revocations after `cursor`, or [`Changes::Reload`] when the feed no longer reaches back that far.
    fn changes_since(&self, cursor: &str) -> impl Future<Output = Result<Changes>> + Send;

    /// Woken whenever a revocation may have been made (by this process, or
    /// another one when the backend can tell); views wait on it between polls.
    fn notifier(&self) -> Arc<Notify>;

    /// The identity of the store the feed comes from; `None` when it has
    /// none (never initialised, or wiped). A view that started with one
    /// refuses a feed with another.
    fn identity(&self) -> impl Future<Output = Result<Option<String>>> + Send;
}

/// Revocations: recorded durably, asked about, purged; their feed is
/// [`RevocationFeed`].
pub trait Revocations: RevocationFeed {
    /// Records a revocation durably before returning. A token revocation whose
    /// `exp` has passed is accepted and dropped: the token is dead anyway.
    fn revoke(&self, revocation: Revocation, now: i64) -> impl Future<Output = Result<()>> + Send;

    /// Denies a single-use token's `jti` until `exp`, like [`Revocation::Token`],
    /// answering whether this call was the one that did: of any number of
    /// concurrent calls for one token, exactly one gets `true`. An expired
    /// token gets `false` (there is nothing left to use).
    fn consume(
        &self,
        issuer: &str,
        jti: &str,
        exp: i64,
        now: i64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Asks the store itself (not a view) whether a token is revoked.
    fn is_revoked(
        &self,
        token: TokenFacts<'_>,
        now: i64,
    ) -> impl Future<Output = Result<Option<Revoked>>> + Send;

    /// Forgets what no longer matters at `now`: expired denials, expired
    /// families, spent rate windows, old feed entries. Returns rows removed.
    fn purge_expired(&self, now: i64) -> impl Future<Output = Result<u64>> + Send;
}

/// Refresh-token families.
pub trait Families {
    /// Creates a family whose current token is `family.jti`.
    fn create_family(&self, family: NewFamily) -> impl Future<Output = Result<()>> + Send;

    /// Rotates atomically: of many concurrent rotations presenting the same
    /// current `jti`, exactly one makes `successor` current. A reuse ends the
    /// family and its session in the same step.
    fn rotate_family(
        &self,
        id: &str,
        presented: &str,
        successor: &str,
        now: i64,
    ) -> impl Future<Output = Result<RotateOutcome>> + Send;

    /// One family.
    fn family(&self, id: &str) -> impl Future<Output = Result<Option<Family>>> + Send;

    /// The subject's live families.
    fn families_of(
        &self,
        subject: &str,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Family>>> + Send;

    /// Revokes one family and, in the same step, ends its session (a
    /// [`Revocation::Session`] on the feed); false if it did not exist or was
    /// revoked already.
    fn revoke_family(
        &self,
        id: &str,
        reason: &str,
        now: i64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Revokes all of a subject's live families, ending their sessions; returns how many.
    fn revoke_families_of(
        &self,
        subject: &str,
        reason: &str,
        now: i64,
    ) -> impl Future<Output = Result<u64>> + Send;
}

/// Users.
pub trait Users {
    /// Creates a user under the normalised `username`; [`StoreError::Conflict`] if taken.
    fn create_user(
        &self,
        username: &str,
        hash: PasswordHash,
        admin: bool,
        scopes: Scopes,
        now: i64,
    ) -> impl Future<Output = Result<User>> + Send;

    /// Every user, by username, at most `limit`.
    fn list_users(&self, limit: usize) -> impl Future<Output = Result<Vec<User>>> + Send;

    /// A user by (not yet normalised) username.
    fn user_by_name(&self, username: &str) -> impl Future<Output = Result<Option<User>>> + Send;

    /// A user by id.
    fn user_by_id(&self, id: &str) -> impl Future<Output = Result<Option<User>>> + Send;

    /// Sets a new password hash and, in the same operation, revokes every
    /// refresh family of the user but `keep` (the session that made the
    /// change, when the user made it), ending their sessions. Returns the
    /// number of families revoked.
    fn set_password(
        &self,
        id: &str,
        hash: PasswordHash,
        keep: Option<&str>,
        now: i64,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Disables or enables a user. Disabling revokes every live refresh
    /// family of the user in the same operation, ending their sessions (so
    /// that no refresh token of a disabled user rotates again, whatever
    /// else fails afterwards).
    fn set_disabled(
        &self,
        id: &str,
        disabled: bool,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Replaces a user's scopes and, in the same operation, revokes every
    /// refresh family of theirs, so that no session keeps a scope it lost
    /// (nor silently gains one). Returns the number of families revoked.
    fn set_scopes(
        &self,
        id: &str,
        scopes: Scopes,
        now: i64,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Deletes a user: in one operation every refresh family of theirs is
    /// revoked (their sessions' tokens denied) and then forgotten with the
    /// account, so that the username is free again and nothing of the user
    /// is kept but the subject id in revocations and events. Returns the
    /// number of sessions ended; [`StoreError::NotFound`] when absent.
    fn delete_user(&self, id: &str, now: i64) -> impl Future<Output = Result<u64>> + Send;
}

/// Rate limits.
pub trait RateLimits {
    /// Counts one hit on `key` in the fixed window of `window_secs` holding
    /// `now`, atomically: concurrent hits are all counted, none twice.
    fn hit(
        &self,
        key: &str,
        limit: u64,
        window_secs: i64,
        now: i64,
    ) -> impl Future<Output = Result<RateDecision>> + Send;

    /// Forgets `key`'s window (after a successful login, say).
    fn reset(&self, key: &str) -> impl Future<Output = Result<()>> + Send;

    /// Takes back one hit of `key`'s window holding `now`, if it has any:
    /// an attempt counted before it was checked turned out not to count
    /// (a correct password). Hits of an earlier window are left alone.
    fn forgive(
        &self,
        key: &str,
        window_secs: i64,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Signing keys and the rotation lock.
pub trait SigningKeys {
    /// Stores a new key; [`StoreError::Conflict`] if its purpose already holds its kid.
    fn put_key(&self, record: KeyRecord) -> impl Future<Output = Result<()>> + Send;

    /// The keys of one purpose, oldest first.
    fn keys(&self, purpose: &str) -> impl Future<Output = Result<Vec<KeyRecord>>> + Send;

    /// Ends a key's signing and verifying at the given times.
    fn set_key_schedule(
        &self,
        purpose: &str,
        kid: &str,
        active_until: Option<i64>,
        verify_until: Option<i64>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Deletes a key (once retired).
    fn delete_key(&self, purpose: &str, kid: &str) -> impl Future<Output = Result<bool>> + Send;

    /// Takes the lock `name` for `holder` for `ttl_secs`, if nobody else holds
    /// it; a holder may renew its own. Only one instance rotates at a time.
    fn try_lock(
        &self,
        name: &str,
        holder: &str,
        ttl_secs: i64,
        now: i64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Releases the lock if `holder` holds it.
    fn unlock(&self, name: &str, holder: &str) -> impl Future<Output = Result<()>> + Send;

    /// Tells every instance that keys changed (a rotation that must reach
    /// them before their next key check): [`SigningKeys::keys_notifier`]
    /// wakes wherever the backend can reach (every Redis client; this process
    /// for SQLite).
    fn announce_keys(&self) -> impl Future<Output = Result<()>> + Send;

    /// Woken when keys were announced to have changed.
    fn keys_notifier(&self) -> Arc<Notify>;
}

/// Security events.
pub trait Events {
    /// Appends one event.
    fn record(&self, event: Event) -> impl Future<Output = Result<()>> + Send;

    /// Events in a time range, optionally by name, oldest first.
    fn events(&self, query: EventQuery) -> impl Future<Output = Result<Vec<Event>>> + Send;

    /// Deletes events before `before` (the retention limit); returns how many.
    fn purge_events(&self, before: i64) -> impl Future<Output = Result<u64>> + Send;
}

/// OAuth clients (for introspection and revocation).
pub trait Clients {
    /// Registers a client under the normalised `name`; [`StoreError::Conflict`] if taken.
    fn create_client(
        &self,
        name: &str,
        secret_hash: ClientSecretHash,
        scopes: Scopes,
        now: i64,
    ) -> impl Future<Output = Result<Client>> + Send;

    /// A client by (not yet normalised) name.
    fn client(&self, name: &str) -> impl Future<Output = Result<Option<Client>>> + Send;

    /// Every client, by name.
    fn list_clients(&self) -> impl Future<Output = Result<Vec<Client>>> + Send;

    /// Removes a client; whether it existed.
    fn delete_client(&self, name: &str) -> impl Future<Output = Result<bool>> + Send;
}

/// The store's identity (see [`crate::Initialised`]), read through
/// [`RevocationFeed::identity`].
pub trait Identity: RevocationFeed {
    /// Gives the store an identity if it has none and holds no data (or,
    /// with `force`, whatever it holds); an existing identity is kept. Of
    /// concurrent calls on an empty store, one identity wins and all report it.
    fn initialise(&self, force: bool, now: i64)
        -> impl Future<Output = Result<Initialised>> + Send;
}

/// A complete store: what the token service needs.
pub trait Store:
    Identity
    + Revocations
    + Families
    + Users
    + Clients
    + RateLimits
    + SigningKeys
    + Events
    + Clone
    + Send
    + Sync
    + 'static
{
    /// "sqlite" or "redis".
    fn backend(&self) -> &'static str;

    /// Whether the backend answers (for readiness checks).
    fn ping(&self) -> impl Future<Output = Result<()>> + Send;
}
