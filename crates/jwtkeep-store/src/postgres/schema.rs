//! Versioned migrations of the PostgreSQL store, applied in order at open
//! under an advisory lock, so that instances starting together apply each
//! once. `migrations` records how many ran.

/// Each migration, in order.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: everything the service keeps, as the SQLite store holds it after its
    // own fifth migration. (The identity is written with the schema, from
    // the OS CSPRNG, by the migration runner.)
    "
    CREATE TABLE denied_tokens (
        issuer TEXT NOT NULL, jti TEXT NOT NULL, exp BIGINT NOT NULL,
        PRIMARY KEY (issuer, jti));
    CREATE INDEX denied_tokens_exp ON denied_tokens (exp);
    CREATE TABLE denied_sessions (session TEXT PRIMARY KEY, until BIGINT NOT NULL);
    CREATE INDEX denied_sessions_until ON denied_sessions (until);
    CREATE TABLE subject_cutoffs (subject TEXT PRIMARY KEY, before BIGINT NOT NULL);
    CREATE TABLE global_cutoff (id INT PRIMARY KEY CHECK (id = 1), before BIGINT NOT NULL);
    CREATE TABLE revocation_log (
        seq BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, entry TEXT NOT NULL);
    CREATE TABLE meta (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
    INSERT INTO meta (name, value) VALUES ('log_trimmed_through', 0);
    CREATE TABLE families (
        id TEXT PRIMARY KEY, subject TEXT NOT NULL, current_jti TEXT NOT NULL,
        previous_jti TEXT, created_at BIGINT NOT NULL, rotated_at BIGINT NOT NULL,
        idle_expires_at BIGINT NOT NULL, absolute_expires_at BIGINT NOT NULL,
        idle_secs BIGINT NOT NULL, grace_secs BIGINT NOT NULL,
        revoked_at BIGINT, revoked_reason TEXT, access_secs BIGINT NOT NULL);
    CREATE INDEX families_subject ON families (subject);
    CREATE TABLE family_jtis (
        family_id TEXT NOT NULL REFERENCES families (id) ON DELETE CASCADE,
        jti TEXT NOT NULL, PRIMARY KEY (family_id, jti));
    CREATE TABLE users (
        id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
        disabled BOOLEAN NOT NULL DEFAULT FALSE, admin BOOLEAN NOT NULL DEFAULT FALSE,
        scopes TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
    CREATE TABLE clients (
        name TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, created_at BIGINT NOT NULL,
        scopes TEXT NOT NULL DEFAULT '');
    CREATE TABLE rate_windows (
        key TEXT PRIMARY KEY, window_start BIGINT NOT NULL, count BIGINT NOT NULL,
        expires_at BIGINT NOT NULL);
    CREATE INDEX rate_windows_expires ON rate_windows (expires_at);
    CREATE TABLE signing_keys (
        purpose TEXT NOT NULL, kid TEXT NOT NULL, alg TEXT NOT NULL,
        created_at BIGINT NOT NULL, published_at BIGINT NOT NULL, active_from BIGINT NOT NULL,
        active_until BIGINT, verify_until BIGINT, public_jwk TEXT, sealed BYTEA NOT NULL,
        PRIMARY KEY (purpose, kid));
    CREATE TABLE locks (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL);
    CREATE TABLE events (
        seq BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, name TEXT NOT NULL,
        subject TEXT, client TEXT, details TEXT NOT NULL);
    CREATE INDEX events_at ON events (at);
    CREATE TABLE identity (
        id INT PRIMARY KEY CHECK (id = 1), value TEXT NOT NULL, created_at BIGINT NOT NULL);
    ",
];
