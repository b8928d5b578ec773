//! Rate limits: atomic hit-and-count in a fixed window per key.

/// The answer to one hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether this hit is within the limit.
    pub allowed: bool,
    /// Hits counted in the current window, this one included.
    pub count: u64,
    /// Hits left in the window.
    pub remaining: u64,
    /// Seconds until the window resets (for `Retry-After`).
    pub retry_after_secs: i64,
}

impl RateDecision {
    /// The decision for the `count`-th hit of a window of `window_secs` starting at `start`.
    pub(crate) fn of(
        count: u64,
        limit: u64,
        start: i64,
        window_secs: i64,
        now: i64,
    ) -> RateDecision {
        RateDecision {
            allowed: count <= limit,
            count,
            remaining: limit.saturating_sub(count),
            retry_after_secs: start.saturating_add(window_secs).saturating_sub(now).max(1),
        }
    }
}

/// The start of the fixed window holding `now`, after checking the arguments.
pub(crate) fn window_start(
    key: &str,
    limit: u64,
    window_secs: i64,
    now: i64,
) -> Result<i64, crate::StoreError> {
    if key.is_empty() || key.len() > 512 {
        return Err(crate::StoreError::invalid(
            "rate-limit key",
            "must be 1 to 512 bytes",
        ));
    }
    if limit == 0 || window_secs <= 0 {
        return Err(crate::StoreError::invalid(
            "rate limit",
            "limit and window must be positive",
        ));
    }
    Ok(now - now.rem_euclid(window_secs))
}
