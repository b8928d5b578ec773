//! The store's integration tests, in one binary (each test binary is a
//! separate link): the conformance suite against every backend, what only
//! SQLite promises, and Redis going away and coming back.

mod conformance;
mod redis_failure;
mod sqlite;
