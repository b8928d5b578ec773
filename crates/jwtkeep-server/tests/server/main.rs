//! The service's integration tests, in one binary (each test binary is a
//! separate link): in process over real SQLite files (`oneshot`), and real
//! servers on 127.0.0.1 for cookies and several instances over real Redis.
#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_used,
    missing_docs
)]

mod accounts;
mod admin;
mod app;
mod auth;
mod common;
mod cookies;
mod cors;
mod feed;
mod flows;
mod https;
mod instances;
mod limits;
mod machine;
mod postgres;
mod rotation;
mod sessions;
mod wipe;
