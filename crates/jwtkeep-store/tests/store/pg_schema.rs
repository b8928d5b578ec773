//! A schema of a test's own on the real PostgreSQL on 127.0.0.1:5432
//! (database `test`), dropped at the end; shared by the store's and the
//! service's tests.
#![allow(dead_code)]

/// The test database, as the CI machine provides it (trust on loopback).
pub(crate) const URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A schema name of its own, and a guard that drops it.
pub(crate) struct Schema(pub(crate) String);

impl Schema {
    pub(crate) fn new() -> Schema {
        let id = jwtkeep_core::random_id().unwrap().to_ascii_lowercase();
        Schema(format!("t_{}", id.replace('-', "_")))
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = psql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0));
    }
}

/// Runs `sql` with psql on the test database: whether it succeeded.
pub(crate) fn psql(sql: &str) -> bool {
    std::process::Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "test",
            "-q",
            "-c",
            sql,
        ])
        .output()
        .is_ok_and(|out| out.status.success())
}
