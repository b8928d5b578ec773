//! The store's identity: a random id written once, when the store is
//! initialised, and compared by every instance on each sync. A store that
//! comes back without it (Redis restarted empty, a database restored from
//! elsewhere) is noticed at once instead of being taken for an empty one:
//! revocations that were forgotten must not make revoked tokens valid again.

/// What [`Identity::initialise`](crate::Identity::initialise) did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Initialised {
    /// The store had an identity already; nothing was written.
    Already(String),
    /// The store had none, and now has this one.
    Created(String),
    /// The store has no identity but holds data (it was partly wiped, or
    /// written by a version that had no identity); nothing was written.
    /// Re-initialise it with `force` once that is understood.
    HoldsData,
}
