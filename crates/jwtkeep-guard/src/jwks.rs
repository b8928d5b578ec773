//! The issuer's keys, fetched from its JWKS and kept through outages.
//!
//! What the peers' trackers show going wrong, and what this does instead:
//! - a failed fetch wiping the cache (pyjwt#1162): the last good set is kept
//!   and keeps verifying, up to [`JwksPolicy::max_stale`]; past that,
//!   verification fails closed ([`JwksError::Stale`]);
//! - made-up `kid`s exhausting the identity provider (jwks-rsa-java#173,
//!   libjwt#313): an unknown `kid` causes a fetch only if no other unknown
//!   `kid` caused one in the last [`JwksPolicy::cooldown`], one at a time
//!   (others wait for it, and none follows a fetch that started after they
//!   asked), and a `kid` still unknown after a fetch is remembered as
//!   unknown (a bounded negative cache) until the next fetch. Fetches the
//!   issuer causes (its schedule, its announced rotations) do not use up
//!   the cooldown, so a token of a key that signs at once is looked for
//!   even when its announcement is still on its way;
//! - no refetch on an unknown `kid` at all (envoy#14557): there is one;
//! - caching for as long as the server says, or not at all: its
//!   `Cache-Control: max-age` is honoured between [`JwksPolicy::min_age`] and
//!   [`JwksPolicy::max_age`].

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jwtkeep_core::{JwkSet, KeyRing, Policy, Verifier};

/// How the cache behaves; the defaults suit an issuer like `jwtkeep serve`
/// (whose staged rotations publish a key 311 s before it signs).
#[derive(Clone, Debug)]
pub struct JwksPolicy {
    /// The least time between two fetches caused by unknown `kid`s (10 s).
    pub cooldown: Duration,
    /// The shortest the set is kept before it is fetched again, whatever
    /// the server says (30 s).
    pub min_age: Duration,
    /// The longest the set is kept before it is fetched again, whatever the
    /// server says (300 s): a key published this long before it signs is
    /// always here in time.
    pub max_age: Duration,
    /// How long after the last successful fetch the set still verifies
    /// while fetches fail (1 hour); then verification fails closed.
    pub max_stale: Duration,
    /// How many unknown `kid`s are remembered (1,024); the oldest go first.
    pub negative_entries: usize,
    /// The longest a fetch may take (5 s).
    pub timeout: Duration,
    /// The largest set read (256 KiB).
    pub max_bytes: u64,
}

impl Default for JwksPolicy {
    fn default() -> JwksPolicy {
        JwksPolicy {
            cooldown: Duration::from_secs(10),
            min_age: Duration::from_secs(30),
            max_age: Duration::from_secs(300),
            max_stale: Duration::from_secs(3600),
            negative_entries: 1024,
            timeout: Duration::from_secs(5),
            max_bytes: 256 * 1024,
        }
    }
}

/// Why the cache has no keys to verify with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// No fetch has succeeded yet.
    #[error("the issuer's keys have not been fetched yet: {reason}")]
    NotLoaded {
        /// Why the last fetch failed, or that none was made.
        reason: String,
    },
    /// The last successful fetch is older than the bound.
    #[error("the issuer's keys are stale ({age_secs} s since the last good fetch, bound {bound_secs} s): {reason}")]
    Stale {
        /// Seconds since the last successful fetch.
        age_secs: u64,
        /// The bound, seconds.
        bound_secs: u64,
        /// Why fetches fail.
        reason: String,
    },
    /// A fetch failed (the set in hand, if any, is kept).
    #[error("fetching the JWKS failed: {0}")]
    Fetch(String),
}

impl JwksError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            JwksError::NotLoaded { .. } => "keys_not_loaded",
            JwksError::Stale { .. } => "keys_stale",
            JwksError::Fetch(_) => "jwks_fetch_failed",
        }
    }
}

/// What [`JwksCache::lookup`] found for a `kid` the verifier did not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyLookup {
    /// The set in hand now has it (a fetch brought it): verify again.
    Found,
    /// Not in the set, and no fetch may be made now (cooldown, or this `kid`
    /// was not in the last fetched set): refuse the token.
    Unknown,
}

/// The set in hand.
struct Current {
    verifier: Option<Arc<Verifier>>,
    /// When the last fetch succeeded.
    fetched_at: Option<Instant>,
    /// When the set should be fetched again.
    fresh_until: Option<Instant>,
    /// Why the last fetch failed, while it does.
    last_error: Option<String>,
}

/// Fetches: one at a time, and when the last began.
#[derive(Default)]
struct Fetches {
    /// When the last fetch of any cause started.
    last_started: Option<Instant>,
    /// When the last fetch caused by an unknown `kid` started.
    last_unknown: Option<Instant>,
    made: u64,
}

/// The issuer's keys. Cheap to clone; clones share one cache.
#[derive(Clone)]
pub struct JwksCache {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    policy: JwksPolicy,
    claims: Policy,
    agent: ureq::Agent,
    current: RwLock<Current>,
    fetches: tokio::sync::Mutex<Fetches>,
    unknown: Mutex<Unknown>,
}

/// `kid`s a fetch found absent: a set to ask, and their order to evict the oldest.
#[derive(Default)]
struct Unknown {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("url", &self.inner.url)
            .finish_non_exhaustive()
    }
}

/// The `max-age` of a `Cache-Control` value, if it has one.
fn max_age(cache_control: &str) -> Option<Duration> {
    cache_control.split(',').find_map(|directive| {
        let (name, value) = directive.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| value.trim().trim_matches('"').parse().ok())
            .flatten()
            .map(Duration::from_secs)
    })
}

impl JwksCache {
    /// A cache of the JWK Set at `url` (http or https), whose keys verify
    /// tokens under `claims` (issuer, audience, `typ`...). Nothing is
    /// fetched until [`JwksCache::refresh`] or a lookup asks.
    pub fn new(url: &str, claims: Policy, policy: JwksPolicy) -> Result<JwksCache, JwksError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(JwksError::Fetch(
                "the JWKS URL must start with http:// or https://".to_owned(),
            ));
        }
        let agent = crate::feed::agent(Some(policy.timeout));
        Ok(JwksCache {
            inner: Arc::new(Inner {
                url: url.to_owned(),
                policy,
                claims,
                agent,
                current: RwLock::new(Current {
                    verifier: None,
                    fetched_at: None,
                    fresh_until: None,
                    last_error: None,
                }),
                fetches: tokio::sync::Mutex::new(Fetches::default()),
                unknown: Mutex::new(Unknown::default()),
            }),
        })
    }

    fn current(&self) -> std::sync::RwLockReadGuard<'_, Current> {
        self.inner
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The verifier of the set in hand, unless there is none or it is older
    /// than [`JwksPolicy::max_stale`] (verification then fails closed).
    pub fn verifier(&self) -> Result<Arc<Verifier>, JwksError> {
        let current = self.current();
        let reason = || {
            current
                .last_error
                .clone()
                .unwrap_or_else(|| "no fetch was made".to_owned())
        };
        let (Some(verifier), Some(fetched_at)) = (&current.verifier, current.fetched_at) else {
            return Err(JwksError::NotLoaded { reason: reason() });
        };
        let age = fetched_at.elapsed();
        if age > self.inner.policy.max_stale {
            return Err(JwksError::Stale {
                age_secs: age.as_secs(),
                bound_secs: self.inner.policy.max_stale.as_secs(),
                reason: reason(),
            });
        }
        Ok(Arc::clone(verifier))
    }

    /// When the set should be fetched again (now, if it never was).
    pub fn refresh_due(&self) -> Instant {
        self.current().fresh_until.unwrap_or_else(Instant::now)
    }

    /// How many fetches were made (for metrics and tests).
    pub async fn fetches(&self) -> u64 {
        self.inner.fetches.lock().await.made
    }

    /// Fetches the set now, unless a fetch is in flight (then waits for it
    /// and uses its result). A failure keeps the set in hand.
    pub async fn refresh(&self) -> Result<(), JwksError> {
        let asked = Instant::now();
        let mut fetches = self.inner.fetches.lock().await;
        if fetches.last_started.is_some_and(|started| started >= asked) {
            return Ok(());
        }
        self.fetch_locked(&mut fetches).await
    }

    /// What to do about a token naming `kid`, which the verifier does not
    /// hold: fetch the set again if the cooldown allows (one fetch at a time;
    /// callers arriving meanwhile use its result) and the `kid` is not known
    /// to be absent; answer whether the set now has it.
    pub async fn lookup(&self, kid: &str) -> KeyLookup {
        if self.is_known_unknown(kid) {
            return KeyLookup::Unknown;
        }
        let asked = Instant::now();
        let mut fetches = self.inner.fetches.lock().await;
        // Another caller's fetch may have brought it while this one waited.
        if self.holds(kid) {
            return KeyLookup::Found;
        }
        let cooling = fetches
            .last_unknown
            .is_some_and(|started| started.elapsed() < self.inner.policy.cooldown);
        // A fetch that started after this caller asked is as fresh as one
        // it could make.
        let fresh = fetches.last_started.is_some_and(|started| started >= asked);
        if cooling || fresh || self.is_known_unknown(kid) {
            return KeyLookup::Unknown;
        }
        fetches.last_unknown = Some(Instant::now());
        let _ = self.fetch_locked(&mut fetches).await;
        if self.holds(kid) {
            KeyLookup::Found
        } else {
            self.remember_unknown(kid);
            KeyLookup::Unknown
        }
    }

    /// Keeps the set fresh until the cache is dropped: a fetch when it is
    /// due, and after a failure again at the cooldown (the set in hand keeps
    /// verifying meanwhile, up to its bound). Spawn it on the runtime.
    pub async fn keep_fresh(self) {
        loop {
            let due = self.refresh_due();
            tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
            if self.refresh().await.is_err() {
                tokio::time::sleep(self.inner.policy.cooldown).await;
            }
        }
    }

    fn holds(&self, kid: &str) -> bool {
        self.current()
            .verifier
            .as_ref()
            .is_some_and(|v| v.ring().keys().iter().any(|k| k.kid() == kid))
    }

    fn unknown(&self) -> std::sync::MutexGuard<'_, Unknown> {
        self.inner
            .unknown
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn is_known_unknown(&self, kid: &str) -> bool {
        self.unknown().set.contains(kid)
    }

    fn remember_unknown(&self, kid: &str) {
        let limit = self.inner.policy.negative_entries;
        if limit == 0 || kid.len() > 256 {
            return;
        }
        let mut unknown = self.unknown();
        if unknown.set.insert(kid.to_owned()) {
            unknown.order.push_back(kid.to_owned());
            while unknown.order.len() > limit {
                if let Some(oldest) = unknown.order.pop_front() {
                    unknown.set.remove(&oldest);
                }
            }
        }
    }

    /// One fetch, under the fetch lock.
    async fn fetch_locked(&self, fetches: &mut Fetches) -> Result<(), JwksError> {
        fetches.last_started = Some(Instant::now());
        fetches.made = fetches.made.saturating_add(1);
        let inner = Arc::clone(&self.inner);
        let fetched = tokio::task::spawn_blocking(move || fetch(&inner))
            .await
            .map_err(|_| JwksError::Fetch("the fetch was cancelled".to_owned()))
            .and_then(|r| r);
        let mut current = self
            .inner
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match fetched {
            Ok((set, age)) => {
                let ring = KeyRing::from_jwk_set(&set, None)
                    .map_err(|e| JwksError::Fetch(format!("the key set is refused: {e}")));
                match ring {
                    Ok(ring) => {
                        let now = Instant::now();
                        current.verifier =
                            Some(Arc::new(Verifier::new(ring, self.inner.claims.clone())));
                        current.fetched_at = Some(now);
                        current.fresh_until = Some(now + age);
                        current.last_error = None;
                        drop(current);
                        // A new set: what was unknown may be known now.
                        *self.unknown() = Unknown::default();
                        Ok(())
                    }
                    Err(e) => {
                        current.last_error = Some(e.to_string());
                        Err(e)
                    }
                }
            }
            Err(e) => {
                current.last_error = Some(e.to_string());
                Err(e)
            }
        }
    }
}

/// One GET of the set: the set, and how long to keep it.
fn fetch(inner: &Inner) -> Result<(JwkSet, Duration), JwksError> {
    let fail = |reason: String| JwksError::Fetch(format!("{}: {reason}", inner.url));
    let mut response = inner
        .agent
        .get(&inner.url)
        .header("Accept", "application/json")
        .call()
        .map_err(|e| fail(e.to_string()))?;
    if response.status() != 200 {
        return Err(fail(format!("answered {}", response.status())));
    }
    let age = response
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .and_then(max_age)
        .unwrap_or(inner.policy.min_age)
        .clamp(inner.policy.min_age, inner.policy.max_age);
    let body = response
        .body_mut()
        .with_config()
        .limit(inner.policy.max_bytes)
        .read_to_vec()
        .map_err(|e| fail(e.to_string()))?;
    let set: JwkSet =
        serde_json::from_slice(&body).map_err(|e| fail(format!("not a JWK Set: {e}")))?;
    if set.keys.iter().any(jwtkeep_core::Jwk::is_private) {
        return Err(fail(
            "the set holds private or secret keys: a published set must not".to_owned(),
        ));
    }
    Ok((set, age))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(
            max_age("public, max-age=300"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            max_age("MAX-AGE=\"60\", no-transform"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(max_age("no-store"), None);
        assert_eq!(max_age("max-age=soon"), None);
    }
}
