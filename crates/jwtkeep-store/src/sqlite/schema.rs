//! Versioned migrations of the SQLite store, applied in order at open.

/// Each migration, in order; `PRAGMA user_version` records how many ran.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: everything the service keeps.
    "
    CREATE TABLE denied_tokens (
        issuer TEXT NOT NULL, jti TEXT NOT NULL, exp INTEGER NOT NULL,
        PRIMARY KEY (issuer, jti)) WITHOUT ROWID;
    CREATE INDEX denied_tokens_exp ON denied_tokens (exp);
    CREATE TABLE subject_cutoffs (subject TEXT PRIMARY KEY, before INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE global_cutoff (id INTEGER PRIMARY KEY CHECK (id = 1), before INTEGER NOT NULL);
    CREATE TABLE revocation_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, entry TEXT NOT NULL);
    CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO meta (name, value) VALUES ('log_trimmed_through', 0);
    CREATE TABLE families (
        id TEXT PRIMARY KEY, subject TEXT NOT NULL, current_jti TEXT NOT NULL, previous_jti TEXT,
        created_at INTEGER NOT NULL, rotated_at INTEGER NOT NULL,
        idle_expires_at INTEGER NOT NULL, absolute_expires_at INTEGER NOT NULL,
        idle_secs INTEGER NOT NULL, grace_secs INTEGER NOT NULL,
        revoked_at INTEGER, revoked_reason TEXT);
    CREATE INDEX families_subject ON families (subject);
    CREATE TABLE family_jtis (
        family_id TEXT NOT NULL REFERENCES families (id) ON DELETE CASCADE, jti TEXT NOT NULL,
        PRIMARY KEY (family_id, jti)) WITHOUT ROWID;
    CREATE TABLE users (
        id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE rate_windows (
        key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL,
        expires_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE signing_keys (
        purpose TEXT NOT NULL, kid TEXT NOT NULL, alg TEXT NOT NULL, created_at INTEGER NOT NULL,
        published_at INTEGER NOT NULL, active_from INTEGER NOT NULL,
        active_until INTEGER, verify_until INTEGER, public_jwk TEXT, sealed BLOB NOT NULL,
        PRIMARY KEY (purpose, kid));
    CREATE TABLE locks (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, name TEXT NOT NULL,
        subject TEXT, client TEXT, details TEXT NOT NULL);
    CREATE INDEX events_at ON events (at);
    ",
    // 2: administrators, and the OAuth clients that may introspect and revoke.
    "
    ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE clients (
        name TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
    ",
    // 3: sessions that ended, denying every token of theirs; the access-token
    // lifetime of each family, which says how long (older rows: the longest).
    "
    ALTER TABLE families ADD COLUMN access_secs INTEGER NOT NULL DEFAULT 86400;
    CREATE TABLE denied_sessions (session TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX denied_sessions_until ON denied_sessions (until);
    ",
    // 4: the store's identity, made with the file (an older file gets one as
    // it is brought up to date: its data is its own).
    "
    CREATE TABLE identity (
        id INTEGER PRIMARY KEY CHECK (id = 1), value TEXT NOT NULL, created_at INTEGER NOT NULL);
    INSERT INTO identity (id, value, created_at)
        VALUES (1, lower(hex(randomblob(32))), CAST(strftime('%s', 'now') AS INTEGER));
    ",
    // 5: the scopes of users and clients, space-separated.
    "
    ALTER TABLE users ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
    ALTER TABLE clients ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
    ",
];
