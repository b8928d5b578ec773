//! The guard: an issuer's keys and its revocations together, so that every
//! request's token is verified as the issuing service itself would —
//! signature (once per token), claims policy, then revocation — in memory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use jwtkeep_core::{CacheLimits, Claims, Policy, Verified, VerifiedCache, VerifyError};
use jwtkeep_store::{RevocationFeed as _, RevocationView, Revoked, TaskGuard, ViewError, ViewSync};

use crate::{FeedClient, FeedConfig, JwksCache, JwksError, JwksPolicy, KeyLookup};

/// What a guard needs to know.
#[derive(Clone, Debug)]
pub struct GuardConfig {
    /// The issuer (`iss`) tokens must name; also where its JWKS and feed are
    /// found unless given.
    pub issuer: String,
    /// The audience (`aud`) tokens must name.
    pub audience: String,
    /// The `typ` tokens must carry (`at+jwt`, RFC 9068).
    pub typ: String,
    /// The JWKS URL. By default the `jwks_uri` of the issuer's metadata
    /// (RFC 8414, then OpenID Connect Discovery), or where the issuer
    /// publishes none, `{issuer}/.well-known/jwks.json` (`jwtkeep serve`'s).
    pub jwks_url: Option<String>,
    /// How the keys are cached.
    pub jwks: JwksPolicy,
    /// The revocation feed and the client that reads it.
    pub feed: FeedConfig,
    /// Past this age without a successful sync, revocations are unknown and
    /// every token is refused (5 s, as in the service).
    pub revocation_staleness: Duration,
    /// How often the feed is read when the stream says nothing (2 s).
    pub poll: Duration,
    /// The bounds of the verified-token cache.
    pub cache: CacheLimits,
}

impl GuardConfig {
    /// A guard for tokens of `issuer` meant for `audience`, following the
    /// issuer's feed as `feed` says.
    pub fn new(issuer: &str, audience: &str, feed: FeedConfig) -> GuardConfig {
        GuardConfig {
            issuer: issuer.trim_end_matches('/').to_owned(),
            audience: audience.to_owned(),
            typ: "at+jwt".to_owned(),
            jwks_url: None,
            jwks: JwksPolicy::default(),
            feed,
            revocation_staleness: Duration::from_secs(5),
            poll: Duration::from_secs(2),
            cache: CacheLimits::default(),
        }
    }
}

/// Why the guard could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// The JWKS URL is not usable.
    #[error("{0}")]
    Jwks(#[from] JwksError),
    /// The issuer's metadata could not be read, or names another issuer.
    #[error("{0}")]
    Discovery(#[from] crate::DiscoveryError),
    /// The feed did not answer: its store's identity is needed to start.
    #[error("the revocation feed is unreachable: {0}")]
    Feed(String),
}

/// Why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The verifier refused it (signature, key, claims, `typ`...).
    #[error("the token is not valid: {0}")]
    Invalid(VerifyError),
    /// It is revoked.
    #[error("the token has been revoked ({})", .0.code())]
    Revoked(Revoked),
    /// The keys or the revocations are unknown: fail closed.
    #[error("tokens cannot be checked right now: {0}")]
    Unavailable(String),
}

impl Refusal {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Invalid(_) => "invalid_token",
            Refusal::Revoked(reason) => reason.code(),
            Refusal::Unavailable(_) => "unavailable",
        }
    }
}

/// Verifies tokens of one issuer, revocation included. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Guard {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    jwks: JwksCache,
    view: RevocationView,
    cache: VerifiedCache,
    /// Verifications by result: valid, invalid, revoked, unavailable.
    results: [AtomicU64; 4],
    _sync: ViewSync,
    _fresh: TaskGuard,
}

/// The results [`Guard::metrics`] counts, in its order.
const RESULTS: [&str; 4] = ["valid", "invalid", "revoked", "unavailable"];

/// Keeps the keys fresh: on the JWKS's own schedule, and at once when the
/// service says its keys changed (an announcement of the authenticated
/// feed, so not held to the cooldown that bounds unknown-`kid` fetches).
async fn keep_keys(jwks: JwksCache, changed: Arc<tokio::sync::Notify>) {
    let schedule = jwks.clone().keep_fresh();
    tokio::pin!(schedule);
    loop {
        tokio::select! {
            () = &mut schedule => return,
            () = changed.notified() => {
                let _ = jwks.refresh().await;
            }
        }
    }
}

/// Seconds since the epoch (the one clock read of the guard).
fn now() -> i64 {
    std::time::UNIX_EPOCH
        .elapsed()
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Guard {
    /// Starts the guard: learns which store the feed comes from (refusing
    /// to start when the feed does not answer), then keeps the keys and the
    /// revocations fresh in the background, on the current runtime.
    pub async fn start(config: GuardConfig) -> Result<Guard, GuardError> {
        let claims = Policy::new()
            .issuer(config.issuer.clone())
            .audience(config.audience.clone())
            .typ(config.typ.clone())
            .require_claim("jti")
            .require_claim("sub");
        let jwks_url = match config.jwks_url.clone() {
            Some(url) => url,
            None => {
                let (issuer, timeout) = (config.issuer.clone(), config.jwks.timeout);
                let asked = issuer.clone();
                tokio::task::spawn_blocking(move || crate::discovery::jwks_uri(&asked, timeout))
                    .await
                    .map_err(|e| crate::DiscoveryError::Unreachable {
                        url: issuer,
                        reason: e.to_string(),
                    })??
                    .unwrap_or_else(|| format!("{}/.well-known/jwks.json", config.issuer))
            }
        };
        let jwks = JwksCache::new(&jwks_url, claims, config.jwks.clone())?;
        // A first fetch now; failing, the background task keeps trying and
        // tokens are refused meanwhile (fail closed).
        let _ = jwks.refresh().await;
        let feed = FeedClient::start(config.feed.clone());
        let keys_changed = feed.keys_notifier();
        let identity = feed
            .identity()
            .await
            .map_err(|e| GuardError::Feed(e.to_string()))?
            .ok_or_else(|| GuardError::Feed("the feed names no store".to_owned()))?;
        let view = RevocationView::new(config.revocation_staleness).expecting(identity);
        let sync = ViewSync::spawn(feed, view.clone(), config.poll, now);
        let fresh = TaskGuard::spawn(keep_keys(jwks.clone(), keys_changed));
        Ok(Guard {
            inner: Arc::new(Inner {
                jwks,
                view,
                cache: VerifiedCache::new(config.cache),
                results: Default::default(),
                _sync: sync,
                _fresh: fresh,
            }),
        })
    }

    /// Whether the guard can check tokens now: keys loaded and not past
    /// their bound, revocations loaded and current.
    pub fn ready(&self) -> Result<(), Refusal> {
        self.inner
            .jwks
            .verifier()
            .map_err(|e| Refusal::Unavailable(e.to_string()))?;
        self.inner
            .view
            .usable()
            .map_err(|e: ViewError| Refusal::Unavailable(e.to_string()))
    }

    /// Verifies `token` at `now`: signature (once per token, through the
    /// verified-token cache), claims policy, then revocation, failing closed
    /// when keys or revocations are unknown. A token naming a key not yet
    /// seen makes the guard fetch the keys again (within the cooldown).
    pub async fn verify(&self, token: &str, now: i64) -> Result<Arc<Verified<Claims>>, Refusal> {
        let inner = &self.inner;
        let unavailable = |e: JwksError| Refusal::Unavailable(e.to_string());
        let verifier = inner.jwks.verifier().map_err(unavailable)?;
        let verified = match verifier.verify_cached(&inner.cache, token, now) {
            Err(VerifyError::UnknownKid) => {
                let kid = jwtkeep_core::inspect::decode_unverified(token)
                    .ok()
                    .and_then(|t| {
                        t.header
                            .get("kid")
                            .and_then(|k| k.as_str())
                            .map(str::to_owned)
                    });
                match kid {
                    Some(kid) if inner.jwks.lookup(&kid).await == KeyLookup::Found => {
                        let verifier = inner.jwks.verifier().map_err(unavailable)?;
                        verifier.verify_cached(&inner.cache, token, now)
                    }
                    _ => Err(VerifyError::UnknownKid),
                }
            }
            other => other,
        }
        .map_err(Refusal::Invalid)?;
        match inner.view.check_claims(verified.payload(), now) {
            Ok(None) => Ok(Arc::clone(&verified)),
            Ok(Some(reason)) => Err(Refusal::Revoked(reason)),
            Err(e) => Err(Refusal::Unavailable(e.to_string())),
        }
    }

    /// [`Guard::verify`] at the current time, counted in [`Guard::metrics`].
    pub async fn verify_now(&self, token: &str) -> Result<Arc<Verified<Claims>>, Refusal> {
        let result = self.verify(token, now()).await;
        let index = match &result {
            Ok(_) => 0,
            Err(Refusal::Invalid(_)) => 1,
            Err(Refusal::Revoked(_)) => 2,
            Err(Refusal::Unavailable(_)) => 3,
        };
        if let Some(counter) = self.inner.results.get(index) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// The guard's metrics in the Prometheus text format: verifications by
    /// result, JWKS fetches, tokens in the verified-token cache, and the age
    /// of the revocations (how far behind the issuer it may be).
    pub async fn metrics(&self) -> String {
        let inner = &self.inner;
        let mut out = String::with_capacity(1024);
        out.push_str("# HELP jwtkeep_guard_verifications_total Tokens checked, by result.\n");
        out.push_str("# TYPE jwtkeep_guard_verifications_total counter\n");
        for (result, count) in RESULTS.iter().zip(&inner.results) {
            let count = count.load(Ordering::Relaxed);
            out.push_str(&format!(
                "jwtkeep_guard_verifications_total{{result=\"{result}\"}} {count}\n"
            ));
        }
        let fetches = inner.jwks.fetches().await;
        out.push_str("# HELP jwtkeep_guard_jwks_fetches_total Fetches of the issuer's JWKS.\n");
        out.push_str("# TYPE jwtkeep_guard_jwks_fetches_total counter\n");
        out.push_str(&format!("jwtkeep_guard_jwks_fetches_total {fetches}\n"));
        out.push_str(
            "# HELP jwtkeep_guard_cached_tokens Tokens whose signature is not checked again.\n",
        );
        out.push_str("# TYPE jwtkeep_guard_cached_tokens gauge\n");
        out.push_str(&format!(
            "jwtkeep_guard_cached_tokens {}\n",
            inner.cache.len()
        ));
        if let Some(age) = inner.view.age() {
            out.push_str("# HELP jwtkeep_guard_revocations_age_seconds Time since the revocations last synced.\n");
            out.push_str("# TYPE jwtkeep_guard_revocations_age_seconds gauge\n");
            out.push_str(&format!(
                "jwtkeep_guard_revocations_age_seconds {:.3}\n",
                age.as_secs_f64()
            ));
        }
        out
    }

    /// A receiver that changes each time the guard's revocations synced.
    pub fn revocation_syncs(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.view.syncs()
    }

    /// How many JWKS fetches were made (for metrics).
    pub async fn jwks_fetches(&self) -> u64 {
        self.inner.jwks.fetches().await
    }
}
