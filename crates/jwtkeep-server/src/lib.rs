//! The jwtkeep token service: an axum application over a [`Store`]
//! (`jwtkeep-store`) and the strict core (`jwtkeep-core`).
//!
//! This crate holds the routes and their rules; it never prints and reads no
//! files after start-up. The binary (`jwtkeep serve`) opens the store, reads
//! the master key, and hands both to [`Service::start`].

mod account;
mod admin;
mod attempts;
mod clients;
mod confirm;
mod cookies;
mod cors;
mod error;
mod events;
mod extract;
mod feed;
mod gate;
mod headers;
mod https;
mod issue;
mod keys;
mod listen;
mod metrics;
mod oauth;
pub mod passwords;
mod proxies;
mod purpose;
mod routes;
mod scope;
mod session;
mod state;
mod tls;
mod token;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use jwtkeep_store::{MasterKey, RevocationView, Store, StoreStatus, TaskGuard, ViewSync};

pub use admin::{
    create_user, cut_off_subject, delete_user, reset_password, revoke_user, set_user_disabled,
    set_user_scopes, UserError,
};
pub use cookies::{ACCESS_COOKIE, REFRESH_COOKIE};

/// The secret generator page (`web/index.html`): one self-contained file
/// that generates in the browser and whose CSP forbids every connection.
/// Served at `/` and written by `jwtkeep gen web-page`.
pub const GENERATOR_PAGE: &str = include_str!("../../../web/index.html");
pub use error::{ApiError, BadBody, ConfirmRefusal, SessionEnd};
pub use events::{EventLog, SecurityEvent};
pub use keys::{KeyService, KeysError, Rotated, RotationMode};
pub use listen::{serve, serve_tls, ConnectionLimits, OverTls};
pub use proxies::{Cidr, CidrError};
pub use purpose::{Purpose, PURPOSES};
pub use state::{AppState, Config};
pub use tls::{Tls, TlsError};

/// The scheduled key work once: publishes the keys that are due (one
/// instance does, under the store's lock), reloads what others rotated, and
/// records a `key.rotated` event for each key this instance added.
async fn maintain_keys_once<S: Store>(state: &AppState<S>) -> Result<(), KeysError> {
    let now = (state.clock)();
    // Never on a store that was reset: a key made there would replace the
    // ones every live token names, and hide the reset.
    if let Err(e) = state.view.usable() {
        if matches!(e, jwtkeep_store::ViewError::StoreReset { .. }) {
            return Err(KeysError::Store(jwtkeep_store::StoreError::Reset {
                reason: e.to_string(),
            }));
        }
    }
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

/// The scheduled key work, every `key_check_interval`, until the state
/// goes; and a reload whenever another instance announces a rotation.
async fn maintain_keys<S: Store>(
    state: std::sync::Weak<AppState<S>>,
    announced: Arc<tokio::sync::Notify>,
    every: Duration,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        let woken = tokio::select! {
            _ = ticks.tick() => false,
            () = announced.notified() => true,
        };
        let Some(state) = state.upgrade() else { return };
        // A failure (store down) is retried on the next tick; the keys in
        // memory keep serving meanwhile.
        if woken {
            let _ = state.keys.reload_on_announcement(&state.store).await;
        } else {
            let _ = maintain_keys_once(&state).await;
        }
    }
}

/// Reports each change of the store's state found by the revocation view's
/// syncs: one log line and the metrics, at the start and the end of an outage.
async fn report_store_status<S: Store>(
    state: std::sync::Weak<AppState<S>>,
    mut status: tokio::sync::watch::Receiver<StoreStatus>,
) {
    let mut outage_since: Option<std::time::Instant> = None;
    while status.changed().await.is_ok() {
        let current = status.borrow_and_update().clone();
        let Some(state) = state.upgrade() else { return };
        let at = (state.clock)();
        let outage_secs = match &current {
            StoreStatus::Up => {
                state.metrics.store(None);
                outage_since.take().map(|t| t.elapsed().as_secs())
            }
            StoreStatus::Unreachable(_) | StoreStatus::Reset(_) => {
                let kind = if matches!(current, StoreStatus::Reset(_)) {
                    "reset"
                } else {
                    "unreachable"
                };
                state.metrics.store(Some(kind));
                outage_since.get_or_insert_with(std::time::Instant::now);
                None
            }
        };
        state
            .config
            .event_log
            .store_status(at, &current, outage_secs);
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

    /// A receiver that changes each time this instance installs new key
    /// rings (its own rotation, a reload, an announcement from another).
    pub fn key_installs(&self) -> tokio::sync::watch::Receiver<u64> {
        self.state.keys.installs()
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
        // A store without its identity is refused before anything is made
        // in it: a shared one is initialised by its operator, not by whichever
        // instance starts first after it was wiped.
        let identity = store.identity().await?.ok_or(KeysError::NotInitialised)?;
        let keys = KeyService::load_or_create(&store, master, &config, clock()).await?;
        let view = RevocationView::new(config.revocation_staleness).expecting(identity.clone());
        let status = view.status();
        // Loaded before the first request, when the store answers (else the
        // view fails closed until its background sync succeeds).
        let _ = view.sync(&store, clock()).await;
        let sync_clock = Arc::clone(&clock);
        let sync = ViewSync::spawn(
            store.clone(),
            view.clone(),
            Duration::from_secs(1),
            move || sync_clock(),
        );
        let passwords =
            passwords::PasswordPool::new(config.password_hash_workers, config.password_hash_queue)
                .map_err(|_| KeysError::Workers)?;
        let instance = jwtkeep_core::random_id().map_err(|_| KeysError::Random)?;
        let every = config.key_check_interval;
        let announced = store.keys_notifier();
        let state = Arc::new_cyclic(|weak| AppState {
            store,
            config,
            keys,
            clock,
            view,
            verified: jwtkeep_core::VerifiedCache::new(jwtkeep_core::CacheLimits::default()),
            clients: crate::clients::ClientCache::default(),
            metrics: metrics::Metrics::default(),
            passwords,
            instance,
            identity,
            streams: Arc::new(tokio::sync::Semaphore::new(feed::MAX_STREAMS)),
            _sync: sync,
            _maintenance: TaskGuard::spawn(maintain_keys(weak.clone(), announced, every)),
            _status: TaskGuard::spawn(report_store_status(weak.clone(), status)),
        });
        let control = Control {
            state: Arc::clone(&state),
        };
        Ok((routes::router(state), control))
    }
}
