//! The in-process revocation view: what the verifier consults on every
//! request, synchronously and without a round trip. A background task keeps
//! it in step with the store: woken at once by the store's notifier (Redis
//! pub/sub, or a write in this process) and polling in any case. Past its
//! staleness bound the view refuses to answer, so verification fails closed.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::revocation::Matches;
use crate::traits::RevocationFeed;
use crate::TaskGuard;
use crate::{Changes, Revocation, Revoked, StoreError, TokenFacts};

/// Why the view cannot answer: verification must fail closed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// The view has not yet loaded the store's revocations.
    #[error("the revocation view has not loaded yet")]
    NotLoaded,
    /// The store lost its identity, or has another one: it was wiped or
    /// replaced, and the revocations it no longer holds are not absent.
    #[error("the store was reset ({reason}): run `jwtkeep store init` once it is understood, then restart every instance")]
    StoreReset {
        /// What was found instead of the expected identity.
        reason: String,
    },
    /// The last successful sync is older than the bound.
    #[error("the revocation view is stale ({age_ms} ms since the last sync, bound {bound_ms} ms): {reason}")]
    Stale {
        /// Milliseconds since the last successful sync.
        age_ms: u128,
        /// The staleness bound, milliseconds.
        bound_ms: u128,
        /// The last sync error, if any.
        reason: String,
    },
}

impl ViewError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            ViewError::NotLoaded => "revocations_not_loaded",
            ViewError::StoreReset { .. } => "store_reset",
            ViewError::Stale { .. } => "revocations_stale",
        }
    }
}

/// A 64-bit keyed fingerprint of (issuer, jti), so that the view holds a
/// million denials in about 36 MB and a check hashes once. Two tokens sharing
/// a fingerprint would make one of them look revoked: a rejection, never an
/// acceptance; with a million denials a given live token collides with
/// probability about 5·10⁻¹⁴, and the per-process random key keeps anyone
/// from aiming at a collision.
#[derive(Clone)]
struct Fingerprinter(RandomState);

impl Fingerprinter {
    fn of(&self, issuer: &str, jti: &str) -> u64 {
        self.0.hash_one((issuer, jti))
    }

    fn of_session(&self, session: &str) -> u64 {
        self.0.hash_one(session)
    }
}

/// Fingerprints are keyed hashes already: the table uses them as they are.
#[derive(Clone, Copy, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Denied = HashMap<u64, i64, BuildHasherDefault<Prehashed>>;

#[derive(Default)]
struct State {
    denied: Denied,
    /// Ended sessions, by a keyed fingerprint of their id, until when.
    sessions: Denied,
    subjects: HashMap<String, i64>,
    global: Option<i64>,
    cursor: Option<String>,
    synced_at: Option<Instant>,
    last_error: Option<String>,
    /// Set while the store's identity is not the expected one.
    reset: Option<String>,
}

impl State {
    fn apply(&mut self, fp: &Fingerprinter, revocation: Revocation) {
        match revocation {
            Revocation::Token { issuer, jti, exp } => {
                let slot = self.denied.entry(fp.of(&issuer, &jti)).or_insert(exp);
                *slot = (*slot).max(exp);
            }
            Revocation::Session { session, until } => {
                let slot = self
                    .sessions
                    .entry(fp.of_session(&session))
                    .or_insert(until);
                *slot = (*slot).max(until);
            }
            Revocation::Subject { subject, before } => {
                let slot = self.subjects.entry(subject).or_insert(before);
                *slot = (*slot).max(before);
            }
            Revocation::All { before } => {
                self.global = Some(self.global.map_or(before, |g| g.max(before)));
            }
        }
    }
}

/// The in-process copy of the store's revocations. Cheap to clone; clones
/// share one copy.
#[derive(Clone)]
pub struct RevocationView {
    state: Arc<RwLock<State>>,
    fingerprint: Fingerprinter,
    max_staleness: Duration,
    /// How many syncs have succeeded: whoever must know that the view has
    /// caught up (a test, another instance's check) waits on it, not on a timer.
    syncs: Arc<tokio::sync::watch::Sender<u64>>,
    /// The identity the store must have (none: not checked).
    expected: Option<Arc<str>>,
    /// Whether the store answered at the last sync, and was the expected one.
    status: Arc<tokio::sync::watch::Sender<StoreStatus>>,
    /// What each sync read, for followers of the feed (the service's stream).
    feed: Arc<tokio::sync::broadcast::Sender<FeedEvent>>,
}

/// What a sync of the view read from the store's feed, for followers that
/// pass it on (the service's revocation stream) without reading it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedEvent {
    /// New revocations, oldest first, and the cursor after them.
    Changes {
        /// The revocations.
        entries: Arc<Vec<Revocation>>,
        /// The store's cursor after them.
        cursor: String,
    },
    /// The feed could not be followed from the last cursor (trimmed, or the
    /// store went back in time): the view reloaded a snapshot, and followers
    /// must take a new one too.
    Reloaded {
        /// The store's cursor of the new snapshot.
        cursor: String,
    },
}

/// Syncs a follower of the feed may fall behind before it is told it lagged.
const FEED_CAPACITY: usize = 1024;

/// What the last sync found of the store, for whoever reports outages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreStatus {
    /// It answered, and was the expected store.
    Up,
    /// It did not answer (why).
    Unreachable(String),
    /// It answered without the expected identity (what it had instead).
    Reset(String),
}

impl StoreStatus {
    fn same_kind(&self, other: &StoreStatus) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

impl std::fmt::Debug for RevocationView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationView")
            .field("max_staleness", &self.max_staleness)
            .finish_non_exhaustive()
    }
}

impl RevocationView {
    /// The state for reading; a panic elsewhere never leaves it half-written
    /// (every update is a single assignment or an idempotent insert).
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An empty view that answers only once it has loaded, and only while its
    /// last sync is younger than `max_staleness`.
    pub fn new(max_staleness: Duration) -> RevocationView {
        RevocationView {
            state: Arc::new(RwLock::new(State::default())),
            fingerprint: Fingerprinter(RandomState::new()),
            max_staleness,
            syncs: Arc::new(tokio::sync::watch::Sender::new(0)),
            expected: None,
            status: Arc::new(tokio::sync::watch::Sender::new(StoreStatus::Up)),
            feed: Arc::new(tokio::sync::broadcast::Sender::new(FEED_CAPACITY)),
        }
    }

    /// Follows what each sync reads from the store's feed. A follower that
    /// falls more than a thousand syncs behind is told it lagged, and catches
    /// up from its own cursor.
    pub fn follow(&self) -> tokio::sync::broadcast::Receiver<FeedEvent> {
        self.feed.subscribe()
    }

    /// The view of a store whose identity must be `identity`: a sync that
    /// finds another one, or none, turns the view to
    /// [`ViewError::StoreReset`] until the identity is back.
    #[must_use]
    pub fn expecting(mut self, identity: String) -> RevocationView {
        self.expected = Some(identity.into());
        self
    }

    /// A receiver that changes whenever a sync finds the store in another
    /// state than the last one did (up, unreachable, reset).
    pub fn status(&self) -> tokio::sync::watch::Receiver<StoreStatus> {
        self.status.subscribe()
    }

    /// Whether the view can vouch for its answers now; the error says why not.
    pub fn usable(&self) -> Result<(), ViewError> {
        Self::usable_state(&self.read(), self.max_staleness)
    }

    fn usable_state(state: &State, max_staleness: Duration) -> Result<(), ViewError> {
        if let Some(reason) = &state.reset {
            return Err(ViewError::StoreReset {
                reason: reason.clone(),
            });
        }
        let Some(synced_at) = state.synced_at else {
            return Err(ViewError::NotLoaded);
        };
        let age = synced_at.elapsed();
        if age > max_staleness {
            return Err(ViewError::Stale {
                age_ms: age.as_millis(),
                bound_ms: max_staleness.as_millis(),
                reason: state
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "no sync since".to_owned()),
            });
        }
        Ok(())
    }

    /// A receiver that changes each time a sync succeeds.
    pub fn syncs(&self) -> tokio::sync::watch::Receiver<u64> {
        self.syncs.subscribe()
    }

    /// Whether the token is revoked, as of the last sync; an error when the
    /// view cannot vouch for its answer.
    pub fn check(&self, token: TokenFacts<'_>, now: i64) -> Result<Option<Revoked>, ViewError> {
        let state = self.read();
        Self::usable_state(&state, self.max_staleness)?;
        let live = |table: &Denied, fingerprint: u64| {
            !table.is_empty() && table.get(&fingerprint).is_some_and(|&until| until > now)
        };
        let found = Matches {
            denied: live(&state.denied, self.fingerprint.of(token.issuer, token.jti)),
            session_ended: token
                .session
                .is_some_and(|s| live(&state.sessions, self.fingerprint.of_session(s))),
            subject_before: if state.subjects.is_empty() {
                None
            } else {
                state.subjects.get(token.subject).copied()
            },
            global_before: state.global,
        };
        Ok(crate::revocation::judge(found, token.iat))
    }

    /// [`RevocationView::check`] for a verified token's claims: its `iss`,
    /// `jti`, `sub`, session ([`crate::session_of`]) and `iat` (a token
    /// without one is judged as issued at the dawn of time: any cut-off
    /// revokes it).
    pub fn check_claims(
        &self,
        claims: &jwtkeep_core::Claims,
        now: i64,
    ) -> Result<Option<Revoked>, ViewError> {
        let session = crate::session_of(claims);
        let facts = TokenFacts {
            issuer: claims.iss().unwrap_or_default(),
            jti: claims.jti().unwrap_or_default(),
            subject: claims.sub().unwrap_or_default(),
            session: session.as_deref(),
            iat: claims.iat().unwrap_or(i64::MIN),
        };
        self.check(facts, now)
    }

    /// Denied tokens held (expired ones are dropped at each reload and purge).
    pub fn denied_len(&self) -> usize {
        self.read().denied.len()
    }

    /// Ended sessions held (expired ones are dropped at each reload and purge).
    pub fn sessions_len(&self) -> usize {
        self.read().sessions.len()
    }

    /// Time since the last successful sync, if any.
    pub fn age(&self) -> Option<Duration> {
        self.read().synced_at.map(|t| t.elapsed())
    }

    /// Applies revocations directly (for tests and benchmarks of the view itself).
    pub fn load(&self, entries: impl IntoIterator<Item = Revocation>) {
        let mut state = self.write();
        for entry in entries {
            state.apply(&self.fingerprint, entry);
        }
        state.synced_at = Some(Instant::now());
    }

    /// Brings the view up to date with `store` once. On failure the view keeps
    /// its data, remembers why, and turns stale when the bound passes.
    pub async fn sync<S: RevocationFeed + Sync>(
        &self,
        store: &S,
        now: i64,
    ) -> Result<(), StoreError> {
        let started = Instant::now();
        // The identity is checked before and after the read: what was read
        // from a store wiped meanwhile is thrown away, never applied.
        let result = match self.check_identity(store).await {
            Ok(()) => match self.sync_inner(store, now).await {
                Ok(event) => self.check_identity(store).await.map(|()| event),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        // Followers hear of what was read only once it is known to come from
        // the expected store.
        let result = result.map(|event| {
            if let Some(event) = event {
                let _ = self.feed.send(event);
            }
        });
        {
            let mut state = self.write();
            match &result {
                Ok(()) => {
                    // The data reflects the store at least as of when the sync began.
                    state.synced_at = Some(started);
                    state.last_error = None;
                    state.reset = None;
                }
                Err(StoreError::Reset { reason }) => {
                    state.reset = Some(reason.clone());
                    state.last_error = Some(reason.clone());
                }
                Err(e) => state.last_error = Some(e.to_string()),
            }
        }
        let status = match &result {
            Ok(()) => StoreStatus::Up,
            Err(StoreError::Reset { reason }) => StoreStatus::Reset(reason.clone()),
            Err(e) => StoreStatus::Unreachable(e.to_string()),
        };
        self.status.send_if_modified(|current| {
            let changed = !current.same_kind(&status);
            if changed {
                *current = status;
            }
            changed
        });
        if result.is_ok() {
            self.syncs.send_modify(|n| *n = n.wrapping_add(1));
        }
        result
    }

    /// Compares the store's identity with the expected one (if any).
    async fn check_identity<S: RevocationFeed + Sync>(&self, store: &S) -> Result<(), StoreError> {
        let Some(expected) = &self.expected else {
            return Ok(());
        };
        match store.identity().await? {
            Some(found) if *found == **expected => Ok(()),
            Some(_) => Err(StoreError::Reset {
                reason: "the store has another identity: it was replaced".to_owned(),
            }),
            None => Err(StoreError::Reset {
                reason: "the store has lost its identity: it was wiped or replaced".to_owned(),
            }),
        }
    }

    /// One sync; what followers of the feed must hear of it, if anything.
    async fn sync_inner<S: RevocationFeed + Sync>(
        &self,
        store: &S,
        now: i64,
    ) -> Result<Option<FeedEvent>, StoreError> {
        let cursor = self.read().cursor.clone();
        let reloading = cursor.is_some();
        if let Some(cursor) = cursor {
            match store.changes_since(&cursor).await? {
                Changes::Since { entries, cursor } => {
                    let event =
                        (!entries.is_empty() && self.feed.receiver_count() > 0).then(|| {
                            FeedEvent::Changes {
                                entries: Arc::new(entries.clone()),
                                cursor: cursor.clone(),
                            }
                        });
                    let mut state = self.write();
                    for entry in entries {
                        state.apply(&self.fingerprint, entry);
                    }
                    state.cursor = Some(cursor);
                    return Ok(event);
                }
                Changes::Reload => {}
            }
        }
        let snapshot = store.snapshot(now).await?;
        let mut fresh = State::default();
        for entry in snapshot.entries {
            fresh.apply(&self.fingerprint, entry);
        }
        let mut state = self.write();
        state.denied = fresh.denied;
        state.sessions = fresh.sessions;
        state.subjects = fresh.subjects;
        state.global = fresh.global;
        state.cursor = Some(snapshot.cursor.clone());
        Ok(reloading.then_some(FeedEvent::Reloaded {
            cursor: snapshot.cursor,
        }))
    }

    /// Drops denials and session ends whose time has passed.
    pub fn purge(&self, now: i64) {
        let mut state = self.write();
        state.denied.retain(|_, exp| *exp > now);
        state.sessions.retain(|_, until| *until > now);
    }
}

/// Keeps a [`RevocationView`] in step with a store in the background.
#[derive(Debug)]
pub struct ViewSync {
    _task: TaskGuard,
}

impl ViewSync {
    /// Spawns the sync task on the current runtime: a sync at once, then one
    /// whenever the store's notifier fires and at least every `poll`. `clock`
    /// gives the current time in seconds since the epoch.
    pub fn spawn<S>(
        store: S,
        view: RevocationView,
        poll: Duration,
        clock: impl Fn() -> i64 + Send + 'static,
    ) -> ViewSync
    where
        S: RevocationFeed + Send + Sync + 'static,
    {
        let notify = store.notifier();
        let task = TaskGuard::spawn(async move {
            let mut syncs: u64 = 0;
            loop {
                let notified = notify.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let now = clock();
                // Failures are kept in the view (it turns stale and says why).
                let _ = view.sync(&store, now).await;
                syncs = syncs.wrapping_add(1);
                if syncs.is_multiple_of(600) {
                    view.purge(now);
                }
                tokio::select! {
                    () = &mut notified => {}
                    () = tokio::time::sleep(poll) => {}
                }
            }
        });
        ViewSync { _task: task }
    }
}
