//! The guard's tests, in one binary: against real HTTP servers on 127.0.0.1
//! whose answers the tests change (keys, failures, cache lifetimes).
#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_used,
    missing_docs,
    unreachable_pub
)]

mod discovery;
mod feed;
mod gate;
mod guard;
mod jwks;
mod layer;
mod service;
