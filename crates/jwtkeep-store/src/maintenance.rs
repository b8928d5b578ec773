//! The background task that keeps a store small: expired denials, families,
//! rate windows, locks and old feed entries go, and events past retention.

use std::time::Duration;

use crate::traits::Store;
use crate::TaskGuard;

/// A running purge task; stops when dropped.
#[derive(Debug)]
pub struct Purger {
    _task: TaskGuard,
}

impl Purger {
    /// Purges `store` now and then every `every`, deleting events older than
    /// `event_retention`. `clock` gives seconds since the epoch. Failures are
    /// retried at the next turn: nothing here is urgent, and an unavailable
    /// store already makes verification fail closed through the view.
    pub fn spawn<S: Store>(
        store: S,
        every: Duration,
        event_retention: Duration,
        clock: impl Fn() -> i64 + Send + 'static,
    ) -> Purger {
        let retention = i64::try_from(event_retention.as_secs()).unwrap_or(i64::MAX);
        let task = TaskGuard::spawn(async move {
            loop {
                let now = clock();
                let _ = store.purge_expired(now).await;
                let _ = store.purge_events(now.saturating_sub(retention)).await;
                tokio::time::sleep(every).await;
            }
        });
        Purger { _task: task }
    }
}
