//! What every request shares: the service's settings ([`Config`]) and its
//! state ([`AppState`]): store, keys, revocation view, clock, metrics and the
//! background work tied to it.

use std::sync::Arc;
use std::time::Duration;

use jwtkeep_core::Algorithm;
use jwtkeep_store::{RevocationView, TaskGuard, ViewSync};

use crate::events::EventLog;
use crate::keys::KeyService;
use crate::metrics;

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
    /// For this long after a refresh, the refresh token just replaced may be
    /// presented again (a second browser tab racing the first) and gets the
    /// same successor; later it is reuse, and ends the session. Seconds, 0 to
    /// 300 (10 by default; 0 turns the window off).
    pub refresh_grace_secs: i64,
    /// Confirmation-token lifetime, seconds (5 minutes by default).
    pub confirm_ttl_secs: i64,
    /// How often signing keys rotate, seconds (7 days by default).
    pub rotation_secs: i64,
    /// How long before it signs a scheduled key is published in the JWKS,
    /// seconds (at least the staged lead: `jwks_max_age_secs` plus the key
    /// check interval).
    pub publish_ahead_secs: i64,
    /// How long verifiers may cache the JWKS (its `Cache-Control: max-age`),
    /// seconds; a staged manual rotation publishes its key this long (plus
    /// the key check interval) before it signs. 300 by default.
    pub jwks_max_age_secs: i64,
    /// Largest request body accepted, bytes.
    pub body_limit_bytes: usize,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// Failed password checks allowed per (account, client address) pair in
    /// a window (the JWT security guide's 5 per 15 minutes).
    pub login_attempts: u64,
    /// Failed password checks allowed per client address in a window, whatever the accounts.
    pub login_attempts_per_address: u64,
    /// Failed password checks allowed per account in a window, whatever the addresses.
    pub login_attempts_per_account: u64,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` name the client.
    pub trusted_proxies: Vec<crate::proxies::Cidr>,
    /// The login window, seconds.
    pub login_window_secs: i64,
    /// At most this many password hashes are computed at once (argon2id:
    /// 19 MiB and ~20-40 ms of a core each); by default one per core.
    pub password_hash_workers: usize,
    /// At most this many more wait for a worker; past that, 503 `busy` at once.
    pub password_hash_queue: usize,
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
    /// The browser origins allowed to call the service across origins
    /// (CORS), exactly; empty: none. In cookie mode they may also send
    /// state-changing requests with the cookies.
    pub cors_origins: Vec<String>,
    /// Refuse requests that did not come over HTTPS (this service's TLS, or
    /// a trusted proxy reporting `https`) with 403 `https_required`, but
    /// from a direct loopback peer and the probes. Off for an embedding;
    /// `jwtkeep serve` turns it on.
    pub require_https: bool,
    /// The certificate served when the service serves TLS itself: its
    /// expiry and reloads are on `/metrics`.
    pub tls: Option<Arc<crate::Tls>>,
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
            refresh_grace_secs: 10,
            rotation_secs: 7 * 86_400,
            publish_ahead_secs: 3600,
            jwks_max_age_secs: 300,
            body_limit_bytes: 16 * 1024,
            request_timeout: Duration::from_secs(10),
            login_attempts: 5,
            login_window_secs: 15 * 60,
            login_attempts_per_address: 20,
            login_attempts_per_account: 50,
            trusted_proxies: Vec::new(),
            password_hash_workers: std::thread::available_parallelism().map_or(2, usize::from),
            password_hash_queue: 16,
            revocation_staleness: Duration::from_secs(5),
            key_check_interval: Duration::from_secs(10),
            event_log: EventLog::default(),
            cookie_mode: false,
            allowed_origins: Vec::new(),
            cors_origins: Vec::new(),
            require_https: false,
            tls: None,
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
    /// Access tokens whose signature checked out (bounded; see
    /// [`jwtkeep_core::VerifiedCache`]).
    pub verified: jwtkeep_core::VerifiedCache,
    /// Registered clients read from the store in the last seconds.
    pub(crate) clients: crate::clients::ClientCache,
    /// The service's counters.
    pub metrics: metrics::Metrics,
    /// The argon2id workers every password check and hash runs on.
    pub passwords: crate::passwords::PasswordPool,
    /// This instance's random id (the holder of the rotation lock).
    pub instance: String,
    /// The identity of the store the service started with.
    pub identity: String,
    /// Permits for the revocation streams open at once.
    pub(crate) streams: Arc<tokio::sync::Semaphore>,
    /// Keeps `view` in step with the store while the service runs.
    pub(crate) _sync: ViewSync,
    /// Rotates keys on schedule while the service runs.
    pub(crate) _maintenance: TaskGuard,
    /// Logs and counts the store's outages.
    pub(crate) _status: TaskGuard,
}
