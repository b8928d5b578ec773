//! The store's integration tests, in one binary (each test binary is a
//! separate link): the conformance suite against every backend, what only
//! SQLite promises, and Redis going away and coming back.
#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stdout,
    clippy::unwrap_used,
    missing_docs,
    unreachable_pub
)]

mod conformance;
mod crash;
mod pg_schema;
mod pg_server;
mod postgres;
mod redis_cluster;
mod redis_failure;
mod redis_server;
mod sqlite;
