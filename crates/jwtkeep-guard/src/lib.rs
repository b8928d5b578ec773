//! Revocation-aware JWT verification for any Rust service, built on
//! `jwtkeep-core`'s strict verifier.
//!
//! The first part is the key cache every verifier in front of an API needs
//! and most get wrong ([`JwksCache`]): keys fetched from the issuer's JWKS,
//! kept fresh as its `Cache-Control` says (within a floor and a ceiling), the
//! last good set kept through an outage (up to a bound, then verification
//! fails closed), a refetch when a token names a key not yet seen — one fetch
//! at a time, at most one per cooldown, with a bounded negative cache — so
//! that made-up `kid`s cannot turn into a flood of requests to the issuer.
//! Where the keys are is read from the issuer's metadata ([`jwks_uri`]).
//!
//! The second is how the guard learns of every revocation without a round
//! trip per request ([`FeedClient`]): it follows the service's revocation
//! feed as a [`jwtkeep_store::RevocationFeed`], so that a
//! [`jwtkeep_store::RevocationView`] kept by [`jwtkeep_store::ViewSync`] —
//! the very view the service keeps — answers each check in memory, wakes at
//! each event of the service's stream, and fails closed past its bound.
//!
//! [`Guard`] puts them together: signature (paid once per token through
//! `jwtkeep-core`'s verified-token cache), claims policy, revocation; and
//! [`GuardLayer`] puts the guard in front of an axum router, with the scopes
//! each path needs and the [`Authenticated`] extractor for handlers.

mod discovery;
mod feed;
pub mod gate;
mod guard;
mod jwks;
mod layer;

pub use discovery::{jwks_uri, DiscoveryError};
pub use feed::{FeedClient, FeedConfig};
pub use guard::{Guard, GuardConfig, GuardError, Refusal};
pub use jwks::{JwksCache, JwksError, JwksPolicy, KeyLookup};
pub use layer::{Authenticated, GuardLayer, GuardService};
