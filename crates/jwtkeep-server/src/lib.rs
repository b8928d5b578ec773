//! The jwtkeep token service: an axum application over a [`Store`]
//! (`jwtkeep-store`) and the strict core (`jwtkeep-core`).
//!
//! This crate holds the routes and their rules; it never prints and reads no
//! files after start-up. The binary (`jwtkeep serve`) opens the store, reads
//! the master key, and hands both to [`Service::start`].

mod error;
mod headers;
mod keys;
mod routes;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use jwtkeep_core::Algorithm;
use jwtkeep_store::{MasterKey, Store};

pub use error::ApiError;
pub use keys::{KeyService, KeysError, PURPOSES};

/// What the service needs to know beyond its store.
#[derive(Clone, Debug)]
pub struct Config {
    /// The `iss` of every token, and the base of the service's URLs.
    pub issuer: String,
    /// The `aud` of access tokens.
    pub audience: String,
    /// The algorithm of every signing key (ES256 by default; EdDSA or RS256).
    pub algorithm: Algorithm,
    /// Access-token lifetime, seconds (15 minutes by default).
    pub access_ttl_secs: i64,
    /// Refresh-token lifetime, seconds (7 days by default).
    pub refresh_ttl_secs: i64,
    /// Confirmation-token lifetime, seconds (5 minutes by default).
    pub confirm_ttl_secs: i64,
    /// How often signing keys rotate, seconds (7 days by default).
    pub rotation_secs: i64,
    /// How long before it signs a new key is published in the JWKS, seconds.
    pub publish_ahead_secs: i64,
    /// Largest request body accepted, bytes.
    pub body_limit_bytes: usize,
    /// Longest a request may take.
    pub request_timeout: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            issuer: "http://127.0.0.1:8080".to_owned(),
            audience: "jwtkeep".to_owned(),
            algorithm: Algorithm::Es256,
            access_ttl_secs: 15 * 60,
            refresh_ttl_secs: 7 * 86_400,
            confirm_ttl_secs: 5 * 60,
            rotation_secs: 7 * 86_400,
            publish_ahead_secs: 3600,
            body_limit_bytes: 16 * 1024,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Shared by every request.
pub struct AppState<S> {
    /// The store.
    pub store: S,
    /// The service's configuration.
    pub config: Config,
    /// The signing keys of every purpose.
    pub keys: KeyService,
    /// The current time, seconds since the epoch (a parameter, so tests can move it).
    pub clock: Arc<dyn Fn() -> i64 + Send + Sync>,
}

/// The running service's parts.
pub struct Service;

impl Service {
    /// Loads (or, on first start, creates) the signing keys and builds the
    /// application. Refuses to start when stored keys do not open under
    /// `master` or are weak.
    pub async fn start<S: Store>(
        store: S,
        master: MasterKey,
        config: Config,
        clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    ) -> Result<Router, KeysError> {
        let keys = KeyService::load_or_create(&store, master, &config, clock()).await?;
        let state = Arc::new(AppState {
            store,
            config,
            keys,
            clock,
        });
        Ok(routes::router(state))
    }
}
