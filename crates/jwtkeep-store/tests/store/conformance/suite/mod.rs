//! The conformance tests, generic over the backend, one file per concept.

mod events;
mod families;
mod identity;
mod keys;
mod limits;
mod revocations;
mod users;

pub use events::*;
pub use families::*;
pub use identity::*;
pub use keys::*;
pub use limits::*;
pub use revocations::*;
pub use users::*;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use jwtkeep_core::{Algorithm, Secret};
use jwtkeep_store::{
    Changes, ClientSecretHash, Event, EventQuery, FamilyLimits, Initialised, KeyRecord, MasterKey,
    NewFamily, PasswordHash, Revocation, RevocationView, Revoked, RotateOutcome, Scopes, SealError,
    Store, StoreError, StoreStatus, TokenFacts, ViewError, ViewSync,
};

pub fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn id() -> String {
    jwtkeep_core::random_id().unwrap()
}

pub fn hash(tag: char) -> PasswordHash {
    PasswordHash::new(&format!(
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA${}",
        tag.to_string().repeat(43)
    ))
    .unwrap()
}

/// A token's facts, outside any session.
pub fn facts<'a>(issuer: &'a str, jti: &'a str, subject: &'a str, iat: i64) -> TokenFacts<'a> {
    TokenFacts::new(issuer, jti, subject, iat)
}

fn token(issuer: &str, jti: &str, exp: i64) -> Revocation {
    Revocation::Token {
        issuer: issuer.into(),
        jti: jti.into(),
        exp,
    }
}
