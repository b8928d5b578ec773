//! [`TaskGuard`]: the one way a background task is tied to the value that
//! owns it, in the store (the view's sync, the purger) and the server (key
//! maintenance).

use std::future::Future;

/// A background task on the current tokio runtime that is aborted when this
/// guard is dropped, so that no task outlives what it works for.
#[derive(Debug)]
pub struct TaskGuard(tokio::task::AbortHandle);

impl TaskGuard {
    /// Spawns `task` on the current runtime.
    pub fn spawn<F>(task: F) -> TaskGuard
    where
        F: Future<Output = ()> + Send + 'static,
    {
        TaskGuard(tokio::spawn(task).abort_handle())
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}
