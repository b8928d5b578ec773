//! The service's state as the binary opens it: the store (SQLite in the data
//! directory, or Redis) and the master key that seals the signing keys.
//! Shared by `jwtkeep serve` and the admin commands, so both find the same
//! state from the same flags.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use clap::Args;
use jwtkeep_core::encoding::TextEncoding;
use jwtkeep_core::Secret;
use jwtkeep_store::{
    AnyStore, MasterKey, PostgresConfig, PostgresStore, RedisConfig, RedisStore,
    RevocationFeed as _, SqliteStore,
};

use crate::settings::Settings;
use crate::{environment, files, output};

/// Where the service's state lives.
#[derive(Debug, Args, Clone)]
pub(crate) struct StoreArgs {
    /// Directory for the SQLite store and the master key (created 0700) [default: jwtkeep-data].
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Shared state instead of SQLite: PostgreSQL (postgres://USER@HOST:PORT/DB), Redis
    /// (redis://HOST:PORT/DB) or a Redis Cluster (redis-cluster://HOST:PORT[,HOST:PORT...]);
    /// or set JWTKEEP_STORE (a URL with a password is accepted only from there or the config file).
    #[arg(long, value_name = "URL")]
    pub(crate) store: Option<String>,
    /// A TOML configuration file (unknown keys are refused); JWTKEEP_* variables override it.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

/// An open store, and which one it is in words.
pub(crate) struct Opened {
    /// The store, whichever backend the settings chose.
    pub(crate) store: AnyStore,
    /// "store: sqlite PATH" or "store: redis", for people.
    pub(crate) description: String,
}

/// Whether a store URL carries a password (`redis://:pw@host`, `redis://user:pw@host`).
fn has_password(url: &str) -> bool {
    url.split_once("://")
        .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or_default())
        .and_then(|authority| authority.rsplit_once('@'))
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

impl StoreArgs {
    /// The settings: file, environment, then these flags.
    pub(crate) fn settings(&self) -> Result<Settings> {
        if let Some(url) = &self.store {
            if has_password(url) {
                bail!("--store holds a password, which other users of this machine can read in the process list: set JWTKEEP_STORE=redis://... instead");
            }
        }
        let mut settings = Settings::load(self.config.as_deref())?;
        if let Some(dir) = &self.data_dir {
            settings.data_dir = Some(dir.clone());
        }
        if let Some(url) = &self.store {
            settings.store = Some(url.clone());
        }
        Ok(settings)
    }
}

impl Settings {
    /// The Redis URL, if the state is shared.
    fn redis_url(&self) -> Result<Option<&str>> {
        self.store.as_deref().map(checked).transpose()
    }

    /// Opens the store, creating the data directory and SQLite file when
    /// needed (a new SQLite file is made with its identity). A shared store
    /// without an identity is refused: it was never initialised, or it was
    /// wiped, and either way `jwtkeep store init` is the operator's call.
    pub(crate) async fn open(&self) -> Result<Opened> {
        let opened = self.open_uninitialised().await?;
        if opened.store.identity().await?.is_none() {
            let how = self.store_flag();
            bail!("the store has no identity: a new shared store is initialised once with `jwtkeep store init{how}`; if it held data before, it was wiped or replaced: find out why first");
        }
        Ok(opened)
    }

    /// How a command names this store (for hints).
    fn store_flag(&self) -> String {
        match &self.store {
            Some(url) if !has_password(url) => format!(" --store {url}"),
            _ => String::new(),
        }
    }

    /// Opens the store as [`Settings::open`] does, whatever its identity (for `jwtkeep store init`).
    pub(crate) async fn open_uninitialised(&self) -> Result<Opened> {
        match self.redis_url()? {
            Some(url) if POSTGRES_SCHEMES.iter().any(|s| url.starts_with(s)) => {
                let schema = schema_of(self.store_prefix.as_deref().unwrap_or("jwtkeep"))?;
                let config = PostgresConfig::new(url).schema(schema.as_str());
                let store = PostgresStore::open(config)
                    .await
                    .context("cannot open the PostgreSQL store: is it running, and are the URL and the user's rights right?")?;
                Ok(Opened {
                    store: store.into(),
                    description: format!("store: postgres, schema {schema}"),
                })
            }
            Some(url) => {
                let mut config = RedisConfig::new(url);
                if let Some(prefix) = &self.store_prefix {
                    config = config.prefix(prefix.as_str());
                }
                let store = RedisStore::open(config)
                    .await
                    .context("cannot reach Redis: is it running, and is the URL right?")?;
                let what = if url.starts_with("redis-cluster://") {
                    "store: redis cluster"
                } else {
                    "store: redis"
                };
                Ok(Opened {
                    store: store.into(),
                    description: what.to_owned(),
                })
            }
            None => {
                let dir = self.data_dir();
                files::ensure_data_dir(&dir)?;
                let path = dir.join("jwtkeep.db");
                let store = SqliteStore::open(&path)
                    .await
                    .with_context(|| format!("cannot open the store {}", path.display()))?;
                Ok(Opened {
                    store: store.into(),
                    description: format!("store: sqlite {}", path.display()),
                })
            }
        }
    }

    /// The master key for this state (see [`master_key`]).
    pub(crate) fn master_key(&self) -> Result<MasterKey> {
        let shared = self.redis_url()?.is_some();
        let dir = self.data_dir();
        if !shared {
            files::ensure_data_dir(&dir)?;
        }
        master_key(&dir, shared)
    }
}

fn checked(url: &str) -> Result<&str> {
    if !["redis://", "rediss://", "redis-cluster://"]
        .iter()
        .chain(POSTGRES_SCHEMES.iter())
        .any(|scheme| url.starts_with(scheme))
    {
        bail!("the store URL must start with redis://, rediss://, redis-cluster:// or postgres:// (SQLite, the default, needs no flag)");
    }
    Ok(url)
}

/// The URL schemes of a PostgreSQL store.
const POSTGRES_SCHEMES: [&str; 2] = ["postgres://", "postgresql://"];

/// The PostgreSQL schema a store prefix names: its letters, digits and `_`
/// (`jwtkeep:` → `jwtkeep`).
fn schema_of(prefix: &str) -> Result<String> {
    let schema: String = prefix
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase();
    if schema.is_empty() || schema.starts_with(|c: char| c.is_ascii_digit()) {
        bail!("store_prefix {prefix:?} names no PostgreSQL schema: use letters, digits and _, starting with a letter");
    }
    Ok(schema)
}
/// The environment variable that may hold the master key instead of the file.
const MASTER_KEY_VAR: &str = "JWTKEEP_MASTER_KEY";

fn parse_master(text: &str, origin: &str) -> Result<MasterKey> {
    // A configured secret `jwtkeep check` calls weak is refused, with why.
    let report = jwtkeep_core::strength::check(
        text.trim(),
        jwtkeep_core::strength::InputEncoding::Base64Url,
        jwtkeep_core::Algorithm::Hs256,
    )
    .map_err(|_| {
        anyhow::anyhow!(
            "{origin} is not base64url: it must hold 32 random bytes, base64url-encoded"
        )
    })?;
    if report.verdict() == jwtkeep_core::strength::Verdict::Weak {
        let why: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
        bail!(
            "{origin} is a weak master key ({}): generate one with `jwtkeep gen secret --bytes 32`",
            why.join(", ")
        );
    }
    let bytes = TextEncoding::Base64Url.decode(text.trim()).map_err(|_| {
        anyhow::anyhow!(
            "{origin} is not base64url: it must hold 32 random bytes, base64url-encoded"
        )
    })?;
    MasterKey::new(&Secret::from_bytes(bytes)).map_err(|e| {
        anyhow::anyhow!("{origin}: {e}; generate one with `jwtkeep gen secret --bytes 32`")
    })
}

/// The master key: from the environment, else the data directory's file
/// (created 0600 on first start; refused when others may read it).
pub(crate) fn master_key(data_dir: &Path, shared_store: bool) -> Result<MasterKey> {
    if let Some(text) = environment::secret_var(MASTER_KEY_VAR).map_err(anyhow::Error::msg)? {
        return parse_master(&text, MASTER_KEY_VAR);
    }
    if shared_store {
        bail!("a shared store (--store postgres:// or redis://) shares signing keys between instances: give every instance the same master key in {MASTER_KEY_VAR} (32 bytes, base64url; `jwtkeep gen secret --bytes 32`)");
    }
    let path = data_dir.join("master.key");
    if !path.exists() {
        let secret = Secret::random(32).context("the OS random generator failed")?;
        let text = TextEncoding::Base64Url.encode(secret.expose());
        files::write_new(
            &path,
            format!("{}\n", text.as_str()).as_bytes(),
            0o600,
            false,
        )?;
        output::note(&format!(
            "created the master key {} (0600): back it up; without it the signing keys cannot be opened",
            path.display()
        ));
    }
    files::refuse_readable_by_others(&path)?;
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?,
    );
    parse_master(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::has_password;

    #[test]
    fn passwords_in_store_urls_are_recognised() {
        assert!(has_password("redis://:secret@127.0.0.1:6379/0"));
        assert!(has_password("redis://user:secret@host/0"));
        assert!(!has_password("redis://127.0.0.1:6379/0"));
        assert!(!has_password("redis://user@host/0"));
        assert!(!has_password("redis://host/0?x=a:b@c"));
    }
}
