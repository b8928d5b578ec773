//! The state of the jwtkeep token service, behind one trait family with three
//! backends that pass the same conformance suite:
//!
//! - [`SqliteStore`]: the embedded default, one file created 0600, WAL,
//!   versioned migrations, no set-up;
//! - [`RedisStore`]: for several instances, on one Redis or a Redis Cluster,
//!   with a key prefix, TTLs equal to the remaining token lifetime, Lua
//!   scripts for every read-modify-write, and a pub/sub channel that tells
//!   every instance of a revocation at once;
//! - [`PostgresStore`]: durable shared state, a schema per deployment,
//!   versioned migrations, races settled by the database, and `LISTEN` /
//!   `NOTIFY` telling every instance of a revocation at once.
//!
//! What is kept: revocations ([`Revocations`]), refresh-token families
//! ([`Families`]), users ([`Users`]), rate-limit windows ([`RateLimits`]),
//! signing keys sealed under a master key ([`SigningKeys`]) and security
//! events ([`Events`]). The verifier never waits on the store: it consults a
//! [`RevocationView`], an in-process copy kept fresh in the background that
//! fails closed once it is older than its staleness bound.
//!
//! Time is a parameter (`now`, seconds since the epoch) everywhere, so that
//! both backends can be tested at any instant; only the view's freshness is
//! measured on the monotonic clock.

// Without both backends (a feed follower's build), helpers the backends
// share go unused.
#![cfg_attr(
    not(all(feature = "sqlite", feature = "redis", feature = "postgres")),
    allow(dead_code)
)]

#[cfg(all(feature = "sqlite", feature = "redis", feature = "postgres"))]
mod any;
mod clients;
mod error;
mod events;
mod families;
mod identity;
mod keys;
mod maintenance;
#[cfg(feature = "postgres")]
mod postgres;
mod ratelimit;
#[cfg(feature = "redis")]
mod redis;
mod revocation;
mod scopes;
#[cfg(feature = "sqlite")]
mod sqlite;
mod task;
mod traits;
mod users;
mod validate;
mod view;

#[cfg(all(feature = "sqlite", feature = "redis", feature = "postgres"))]
pub use any::AnyStore;
pub use clients::{Client, ClientSecretHash};
pub use error::StoreError;
pub use events::{Event, EventQuery};
pub use families::{
    Family, FamilyLimits, NewFamily, RotateOutcome, MAX_ACCESS_SECS, SESSION_DENIAL_MARGIN_SECS,
};
pub use identity::Initialised;
pub use keys::{KeyRecord, MasterKey, SealError};
pub use maintenance::Purger;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresConfig, PostgresStore};
pub use ratelimit::RateDecision;
#[cfg(feature = "redis")]
pub use redis::{RedisConfig, RedisStore};
pub use revocation::{session_of, Changes, Revocation, RevocationSnapshot, Revoked, TokenFacts};
pub use scopes::{is_scope_token, ScopeError, Scopes, ADMIN_SCOPE, MAX_SCOPES};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use task::TaskGuard;
pub use traits::{
    Clients, Events, Families, Identity, RateLimits, RevocationFeed, Revocations, SigningKeys,
    Store, Users,
};
pub use users::{normalise_username, PasswordHash, User, UsernameError};
pub use view::{FeedEvent, RevocationView, StoreStatus, ViewError, ViewSync};
