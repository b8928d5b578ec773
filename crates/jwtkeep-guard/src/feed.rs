//! Following the revocations of a `jwtkeep serve`: its feed over HTTP
//! (`GET /v1/revocations`, a registered client's credentials), made a
//! [`RevocationFeed`] so that the guard keeps the very view the service
//! keeps, with the same fail-closed staleness bound. The service's event
//! stream (`/v1/revocations/stream`) is the wake-up: the view syncs as soon
//! as an event arrives, and polls in any case.

use std::io::Read as _;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use jwtkeep_store::{Changes, Revocation, RevocationFeed, RevocationSnapshot, StoreError};
use tokio::sync::Notify;
use zeroize::Zeroizing;

/// Where the feed is, and the client credentials that read it.
#[derive(Clone)]
pub struct FeedConfig {
    /// The service's base URL (its issuer): `https://auth.example.com`.
    pub base_url: String,
    /// The registered client's name.
    pub client_id: String,
    /// Its secret (never logged, zeroized on drop).
    pub client_secret: Zeroizing<String>,
    /// The longest one read of the feed may take (5 s).
    pub timeout: Duration,
    /// How long one connection to the event stream is kept before it is
    /// made again (5 minutes): a connection that died without a word is
    /// noticed by then at the latest (polling covers the meanwhile).
    pub stream_lifetime: Duration,
}

impl std::fmt::Debug for FeedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedConfig")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl FeedConfig {
    /// The feed of the service at `base_url`, read as `client_id`.
    pub fn new(base_url: &str, client_id: &str, client_secret: Zeroizing<String>) -> FeedConfig {
        FeedConfig {
            base_url: base_url.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret,
            timeout: Duration::from_secs(5),
            stream_lifetime: Duration::from_secs(300),
        }
    }
}

/// The service's feed, as a [`RevocationFeed`]. Cheap to clone.
#[derive(Clone)]
pub struct FeedClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: FeedConfig,
    authorization: Zeroizing<String>,
    agent: ureq::Agent,
    notify: Arc<Notify>,
    /// Woken (one permit kept) when the service says its signing keys
    /// changed, and when the stream connects again (one may have been missed).
    keys: Arc<Notify>,
    /// The identity of the service's store, from its cursors.
    identity: Mutex<Option<String>>,
    /// A snapshot the service answered to a request for changes: the view
    /// asks for a snapshot next, and gets this one rather than a second read.
    pending: Mutex<Option<RevocationSnapshot>>,
    /// Dropped with the client: the stream's thread stops waiting at once.
    _stop: Mutex<std::sync::mpsc::Sender<()>>,
}

/// A feed answer.
#[derive(serde::Deserialize)]
struct Answer {
    kind: String,
    entries: Vec<Revocation>,
    cursor: String,
}

/// A refusal, as every error of the service is written.
#[derive(serde::Deserialize)]
struct Refusal {
    error: String,
}

fn unavailable(reason: impl Into<String>) -> StoreError {
    StoreError::Unavailable {
        backend: "feed",
        reason: reason.into(),
    }
}

/// The TLS and client settings every request of the guard uses.
pub(crate) fn agent(timeout: Option<Duration>) -> ureq::Agent {
    let tls = ureq::tls::TlsConfig::builder()
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .build();
    ureq::Agent::config_builder()
        .timeout_global(timeout)
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("jwtkeep-guard/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .into()
}

impl FeedClient {
    /// A client of the feed described by `config`; the event stream is
    /// followed on a thread of its own until the client is dropped.
    pub fn start(config: FeedConfig) -> FeedClient {
        let credentials = Zeroizing::new(format!(
            "{}:{}",
            config.client_id,
            config.client_secret.as_str()
        ));
        let encoded = jwtkeep_core::encoding::TextEncoding::Base64.encode(credentials.as_bytes());
        let authorization = Zeroizing::new(format!("Basic {}", encoded.as_str()));
        let (stop, stopped) = std::sync::mpsc::channel();
        let inner = Arc::new(Inner {
            agent: agent(Some(config.timeout)),
            config,
            authorization,
            notify: Arc::new(Notify::new()),
            keys: Arc::new(Notify::new()),
            identity: Mutex::new(None),
            pending: Mutex::new(None),
            _stop: Mutex::new(stop),
        });
        let weak = Arc::downgrade(&inner);
        // A thread, not a task: the stream is read with blocking calls.
        let _ = std::thread::Builder::new()
            .name("jwtkeep-guard-stream".to_owned())
            .spawn(move || follow_stream(&weak, &stopped));
        FeedClient { inner }
    }

    /// Woken when the service's signing keys changed (a `keys` event of its
    /// stream), or may have while the stream was away: fetch the JWKS again.
    pub fn keys_notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.inner.keys)
    }

    /// One read: the service's answer, as (kind, entries, cursor).
    fn read(&self, after: Option<&str>) -> Result<(String, Vec<Revocation>, String), StoreError> {
        let inner = &self.inner;
        let url = format!("{}/v1/revocations", inner.config.base_url);
        let mut request = inner
            .agent
            .get(&url)
            .header("Authorization", inner.authorization.as_str());
        if let Some(cursor) = after {
            request = request.query("after", cursor);
        }
        let mut response = request
            .call()
            .map_err(|e| unavailable(format!("{url}: {e}")))?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .map_err(|e| unavailable(format!("{url}: {e}")))?;
        if status != 200 {
            let code = serde_json::from_slice::<Refusal>(&bytes)
                .map_or_else(|_| "unknown".to_owned(), |r| r.error);
            return Err(unavailable(format!("{url} answered {status} {code}")));
        }
        let Answer {
            kind,
            entries,
            cursor,
        } = serde_json::from_slice(&bytes)
            .map_err(|e| unavailable(format!("{url}: not a feed answer: {e}")))?;
        let Some((identity, _)) = cursor.split_once('.') else {
            return Err(unavailable(format!("{url}: the cursor names no store")));
        };
        *lock(&inner.identity) = Some(identity.to_owned());
        Ok((kind, entries, cursor))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(FeedClient) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let client = self.clone();
        tokio::task::spawn_blocking(move || work(client))
            .await
            .map_err(|_| unavailable("the read was cancelled"))?
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RevocationFeed for FeedClient {
    async fn snapshot(&self, _now: i64) -> Result<RevocationSnapshot, StoreError> {
        if let Some(snapshot) = lock(&self.inner.pending).take() {
            return Ok(snapshot);
        }
        self.blocking(|client| {
            let (_, entries, cursor) = client.read(None)?;
            Ok(RevocationSnapshot { entries, cursor })
        })
        .await
    }

    async fn changes_since(&self, cursor: &str) -> Result<Changes, StoreError> {
        let cursor = cursor.to_owned();
        self.blocking(move |client| {
            let (kind, entries, after) = client.read(Some(&cursor))?;
            if kind == "changes" {
                return Ok(Changes::Since {
                    entries,
                    cursor: after,
                });
            }
            *lock(&client.inner.pending) = Some(RevocationSnapshot {
                entries,
                cursor: after,
            });
            Ok(Changes::Reload)
        })
        .await
    }

    fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.inner.notify)
    }

    async fn identity(&self) -> Result<Option<String>, StoreError> {
        if let Some(identity) = lock(&self.inner.identity).clone() {
            return Ok(Some(identity));
        }
        // Nothing read yet: the first snapshot says which store it is.
        let snapshot = self
            .blocking(|client| {
                let (_, entries, cursor) = client.read(None)?;
                Ok(RevocationSnapshot { entries, cursor })
            })
            .await?;
        *lock(&self.inner.pending) = Some(snapshot);
        Ok(lock(&self.inner.identity).clone())
    }
}

/// Reads the service's event stream, waking the view at each event, and
/// connects again after a failure (after a pause) or when a connection has
/// lived its time, until the client is dropped.
fn follow_stream(inner: &Weak<Inner>, stopped: &std::sync::mpsc::Receiver<()>) {
    let mut pause = Duration::from_millis(200);
    let mut first = true;
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let (url, authorization, notify, keys, lifetime) = (
            format!("{}/v1/revocations/stream", strong.config.base_url),
            strong.authorization.clone(),
            Arc::clone(&strong.notify),
            Arc::clone(&strong.keys),
            strong.config.stream_lifetime,
        );
        drop(strong);
        let agent = agent(Some(lifetime));
        let response = agent
            .get(&url)
            .header("Authorization", authorization.as_str())
            .header("Accept", "text/event-stream")
            .call();
        if let Ok(mut response) = response {
            if response.status() == 200 {
                pause = Duration::from_millis(200);
                // Connected again: a keys event may have gone by unheard.
                if !std::mem::take(&mut first) {
                    keys.notify_one();
                }
                let mut reader = response.body_mut().as_reader();
                let mut buffer = [0u8; 4096];
                let mut pending = Vec::new();
                while let Ok(n) = reader.read(&mut buffer) {
                    if n == 0 || inner.strong_count() == 0 {
                        break;
                    }
                    pending.extend_from_slice(buffer.get(..n).unwrap_or_default());
                    // Each complete event (not a keep-alive comment) wakes the view.
                    while let Some(end) = pending.windows(2).position(|w| w == b"\n\n") {
                        let event: Vec<u8> = pending.drain(..end + 2).collect();
                        if event.starts_with(b":") {
                            continue;
                        }
                        if event.windows(12).any(|w| w == b"event: keys\n") {
                            keys.notify_one();
                        } else {
                            notify.notify_waiters();
                        }
                    }
                }
            }
        }
        if inner.strong_count() == 0 {
            return;
        }
        // The view polls meanwhile; it also syncs now, in case events were missed.
        notify.notify_waiters();
        match stopped.recv_timeout(pause) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            // The client was dropped.
            _ => return,
        }
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}
