//! The jwtkeep token service: an axum application over a [`Store`]
//! (`jwtkeep-store`) and the strict core (`jwtkeep-core`).
//!
//! This crate holds the routes and their rules; it never prints and reads no
//! files after start-up. The binary (`jwtkeep serve`) opens the store, reads
//! the master key, and hands both to [`Service::start`].

mod admin;
mod auth;
mod confirm;
mod cookies;
mod error;
mod events;
mod extract;
mod headers;
mod keys;
mod metrics;
mod oauth;
pub mod passwords;
mod purpose;
mod routes;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use jwtkeep_core::Algorithm;
use jwtkeep_store::{MasterKey, RevocationView, Store, ViewSync};

pub use admin::{create_user, revoke_user, UserError};
pub use cookies::{ACCESS_COOKIE, REFRESH_COOKIE};

/// The secret generator page (`web/index.html`): one self-contained file
/// that generates in the browser and whose CSP forbids every connection.
/// Served at `/` and written by `jwtkeep gen web-page`.
pub const GENERATOR_PAGE: &str = include_str!("../../../web/index.html");
pub use error::{ApiError, BadBody, ConfirmRefusal, SessionEnd};
pub use events::{EventLog, SecurityEvent};
pub use keys::{KeyService, KeysError};
pub use purpose::{Purpose, PURPOSES};

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
    /// Login attempts allowed per account and per client address in a window.
    pub login_attempts: u64,
    /// The login window, seconds.
    pub login_window_secs: i64,
    /// Past this age the revocation view refuses to answer (verification fails closed).
    pub revocation_staleness: Duration,
    /// How often each instance checks whether a key is due and reloads the
    /// keys other instances (or the CLI) rotated.
    pub key_check_interval: Duration,
    /// Where security events are logged, besides the store.
    pub event_log: EventLog,
    /// Cookie mode: tokens travel in HttpOnly cookies instead of JSON bodies,
    /// for browser applications (off by default).
    pub cookie_mode: bool,
    /// In cookie mode, the origins state-changing requests may come from
    /// (`https://app.example.com`); by default the issuer's own origin.
    pub allowed_origins: Vec<String>,
}

impl Config {
    /// The issuer's origin: scheme, host and port, without a path.
    pub fn issuer_origin(&self) -> String {
        let (scheme, rest) = self
            .issuer
            .split_once("://")
            .unwrap_or(("https", &self.issuer));
        let host = rest.split('/').next().unwrap_or_default();
        format!("{scheme}://{host}")
    }
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
            login_attempts: 5,
            login_window_secs: 15 * 60,
            revocation_staleness: Duration::from_secs(5),
            key_check_interval: Duration::from_secs(10),
            event_log: EventLog::default(),
            cookie_mode: false,
            allowed_origins: Vec::new(),
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
    /// The in-process copy of the revocations that verification consults.
    pub view: RevocationView,
    /// The service's counters.
    pub metrics: metrics::Metrics,
    /// This instance's random id (the holder of the rotation lock).
    pub instance: String,
    /// Keeps `view` in step with the store while the service runs.
    _sync: ViewSync,
    /// Rotates keys on schedule while the service runs.
    _maintenance: Background,
}

/// A background task that ends with the value holding it.
struct Background(Option<tokio::task::AbortHandle>);

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// The scheduled key work once: publishes the keys that are due (one
/// instance does, under the store's lock), reloads what others rotated, and
/// records a `key.rotated` event for each key this instance added.
async fn maintain_keys_once<S: Store>(state: &AppState<S>) -> Result<(), KeysError> {
    let now = (state.clock)();
    let added = state
        .keys
        .maintain(&state.store, &state.instance, now)
        .await?;
    for (purpose, kid) in added {
        let mut details = serde_json::Map::new();
        details.insert("purpose".into(), purpose.as_str().into());
        details.insert("kid".into(), kid.into());
        details.insert("by".into(), "schedule".into());
        events::record_details(state, SecurityEvent::KeyRotated, None, None, details, now).await;
    }
    Ok(())
}

/// The scheduled key work, every `key_check_interval`, until the state goes.
async fn maintain_keys<S: Store>(state: std::sync::Weak<AppState<S>>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let Some(state) = state.upgrade() else { return };
        // A failure (store down) is retried on the next tick; the keys in
        // memory keep serving meanwhile.
        let _ = maintain_keys_once(&state).await;
    }
}

/// Runs, on demand, the work the service otherwise does on its own timers:
/// for operators' tooling and for tests that must not wait on a clock.
pub struct Control<S> {
    state: Arc<AppState<S>>,
}

impl<S> std::fmt::Debug for Control<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control").finish_non_exhaustive()
    }
}

impl<S: Store> Control<S> {
    /// Brings this instance's revocation view up to date with the store now.
    pub async fn sync_revocations(&self) -> Result<(), jwtkeep_store::StoreError> {
        let now = (self.state.clock)();
        self.state.view.sync(&self.state.store, now).await
    }

    /// A receiver that changes each time this instance's revocation view
    /// has synced (on its own, or through [`Control::sync_revocations`]).
    pub fn revocation_syncs(&self) -> tokio::sync::watch::Receiver<u64> {
        self.state.view.syncs()
    }

    /// Runs the scheduled key work now, as the timer would.
    pub async fn maintain_keys(&self) -> Result<(), KeysError> {
        maintain_keys_once(&self.state).await
    }
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
        Ok(Service::start_with_control(store, master, config, clock)
            .await?
            .0)
    }

    /// [`Service::start`], with a [`Control`] that runs the service's timed
    /// work on demand.
    pub async fn start_with_control<S: Store>(
        store: S,
        master: MasterKey,
        config: Config,
        clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    ) -> Result<(Router, Control<S>), KeysError> {
        let keys = KeyService::load_or_create(&store, master, &config, clock()).await?;
        let view = RevocationView::new(config.revocation_staleness);
        let sync_clock = Arc::clone(&clock);
        let sync = ViewSync::spawn(
            store.clone(),
            view.clone(),
            Duration::from_secs(1),
            move || sync_clock(),
        );
        let instance = jwtkeep_core::random_id().map_err(|_| KeysError::Random)?;
        let every = config.key_check_interval;
        let state = Arc::new_cyclic(|weak| AppState {
            store,
            config,
            keys,
            clock,
            view,
            metrics: metrics::Metrics::default(),
            instance,
            _sync: sync,
            _maintenance: Background(Some(
                tokio::spawn(maintain_keys(weak.clone(), every)).abort_handle(),
            )),
        });
        let control = Control {
            state: Arc::clone(&state),
        };
        Ok((routes::router(state), control))
    }
}
