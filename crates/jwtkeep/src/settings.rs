//! The service's settings: defaults, then a TOML file (`--config`; unknown
//! keys refused), then `JWTKEEP_*` environment variables, then flags. Every
//! value is checked before anything starts, and each refusal names the
//! setting and the fix.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use jwtkeep_core::Algorithm;
use jwtkeep_server::Config;
use serde::Deserialize;

use crate::environment;

/// Every setting, each optional until merged. No `Debug`: `store` may hold
/// a Redis password.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// Address to listen on.
    pub(crate) listen: Option<SocketAddr>,
    /// The data directory (SQLite store, master key).
    pub(crate) data_dir: Option<PathBuf>,
    /// A Redis URL for shared state.
    pub(crate) store: Option<String>,
    /// The prefix of every Redis key (several deployments can share one Redis).
    pub(crate) store_prefix: Option<String>,
    /// The tokens' `iss`.
    pub(crate) issuer: Option<String>,
    /// The access tokens' `aud`.
    pub(crate) audience: Option<String>,
    /// The signing algorithm.
    pub(crate) algorithm: Option<String>,
    /// Access-token lifetime.
    pub(crate) access_ttl_secs: Option<i64>,
    /// Refresh-token lifetime.
    pub(crate) refresh_ttl_secs: Option<i64>,
    /// Confirmation-token lifetime.
    pub(crate) confirm_ttl_secs: Option<i64>,
    /// Key rotation period.
    pub(crate) rotation_secs: Option<i64>,
    /// How long a key is published before it signs.
    pub(crate) publish_ahead_secs: Option<i64>,
    /// How long verifiers may cache the JWKS.
    pub(crate) jwks_max_age_secs: Option<i64>,
    /// Login attempts per window.
    pub(crate) login_attempts: Option<u64>,
    /// The login window.
    pub(crate) login_window_secs: Option<i64>,
    /// Cookie mode.
    pub(crate) cookie_mode: Option<bool>,
    /// Origins allowed in cookie mode.
    pub(crate) allowed_origins: Option<Vec<String>>,
    /// Browser origins allowed across origins (CORS).
    pub(crate) cors_origins: Option<Vec<String>>,
    /// Largest request body.
    pub(crate) body_limit_bytes: Option<usize>,
    /// Longest request.
    pub(crate) request_timeout_secs: Option<u64>,
    /// The refresh grace window, seconds.
    pub(crate) refresh_grace_secs: Option<i64>,
    /// Password hashes computed at once (argon2id, 19 MiB each).
    pub(crate) password_hash_workers: Option<usize>,
    /// Password checks waiting for a worker before the answer is 503 busy.
    pub(crate) password_hash_queue: Option<usize>,
    /// Failed password checks per client address in a window.
    pub(crate) login_attempts_per_address: Option<u64>,
    /// Failed password checks per account in a window.
    pub(crate) login_attempts_per_account: Option<u64>,
    /// Reverse proxies trusted to name the client (addresses or blocks).
    pub(crate) trusted_proxies: Option<Vec<String>>,
    /// Longest wait for a request head, also the keep-alive idle limit.
    pub(crate) header_read_timeout_secs: Option<u64>,
    /// Most connections open at once.
    pub(crate) max_connections: Option<usize>,
    /// The PEM certificate chain served over HTTPS.
    pub(crate) tls_cert: Option<PathBuf>,
    /// Its PEM private key.
    pub(crate) tls_key: Option<PathBuf>,
}

fn parse<T: FromStr>(name: &str, text: &str) -> Result<T> {
    text.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{name}={text:?} is not a valid value for this setting"))
}

/// Reads `JWTKEEP_<KEY>` into `slot` when it is set.
fn from_env<T: FromStr>(key: &str, slot: &mut Option<T>) -> Result<()> {
    let name = format!("JWTKEEP_{}", key.to_ascii_uppercase());
    if let Some(text) = environment::secret_var(&name).map_err(anyhow::Error::msg)? {
        *slot = Some(parse(&name, &text)?);
    }
    Ok(())
}

impl Settings {
    /// The file at `path`, strictly.
    pub(crate) fn from_file(path: &Path) -> Result<Settings> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration {}", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            let reason = e.message().to_owned();
            anyhow::anyhow!(
                "the configuration {} is refused: {reason} (see `jwtkeep serve --help` for the settings)",
                path.display()
            )
        })
    }

    /// Applies the `JWTKEEP_*` variables over the file's values.
    pub(crate) fn apply_env(&mut self) -> Result<()> {
        from_env("listen", &mut self.listen)?;
        from_env("data_dir", &mut self.data_dir)?;
        from_env("store", &mut self.store)?;
        from_env("store_prefix", &mut self.store_prefix)?;
        from_env("issuer", &mut self.issuer)?;
        from_env("audience", &mut self.audience)?;
        from_env("algorithm", &mut self.algorithm)?;
        from_env("access_ttl_secs", &mut self.access_ttl_secs)?;
        from_env("refresh_ttl_secs", &mut self.refresh_ttl_secs)?;
        from_env("confirm_ttl_secs", &mut self.confirm_ttl_secs)?;
        from_env("rotation_secs", &mut self.rotation_secs)?;
        from_env("publish_ahead_secs", &mut self.publish_ahead_secs)?;
        from_env("jwks_max_age_secs", &mut self.jwks_max_age_secs)?;
        from_env("login_attempts", &mut self.login_attempts)?;
        from_env("login_window_secs", &mut self.login_window_secs)?;
        from_env("cookie_mode", &mut self.cookie_mode)?;
        from_env("body_limit_bytes", &mut self.body_limit_bytes)?;
        from_env("request_timeout_secs", &mut self.request_timeout_secs)?;
        from_env("refresh_grace_secs", &mut self.refresh_grace_secs)?;
        from_env("password_hash_workers", &mut self.password_hash_workers)?;
        from_env("password_hash_queue", &mut self.password_hash_queue)?;
        from_env(
            "login_attempts_per_address",
            &mut self.login_attempts_per_address,
        )?;
        from_env(
            "login_attempts_per_account",
            &mut self.login_attempts_per_account,
        )?;
        let mut proxies: Option<String> = None;
        from_env("trusted_proxies", &mut proxies)?;
        if let Some(list) = proxies {
            self.trusted_proxies = Some(
                list.split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect(),
            );
        }
        from_env(
            "header_read_timeout_secs",
            &mut self.header_read_timeout_secs,
        )?;
        from_env("max_connections", &mut self.max_connections)?;
        from_env("tls_cert", &mut self.tls_cert)?;
        from_env("tls_key", &mut self.tls_key)?;
        for (name, list) in [
            ("allowed_origins", &mut self.allowed_origins),
            ("cors_origins", &mut self.cors_origins),
        ] {
            let mut origins: Option<String> = None;
            from_env(name, &mut origins)?;
            if let Some(text) = origins {
                *list = Some(
                    text.split(',')
                        .map(|o| o.trim().to_owned())
                        .filter(|o| !o.is_empty())
                        .collect(),
                );
            }
        }
        Ok(())
    }

    /// Defaults, the file (when given), then the environment.
    pub(crate) fn load(config: Option<&Path>) -> Result<Settings> {
        let mut settings = match config {
            Some(path) => Settings::from_file(path)?,
            None => Settings::default(),
        };
        settings.apply_env()?;
        Ok(settings)
    }

    /// The data directory.
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("jwtkeep-data"))
    }

    /// The address to listen on.
    pub(crate) fn listen(&self) -> SocketAddr {
        self.listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }

    /// The certificate and key files, when HTTPS is served: both or neither.
    pub(crate) fn tls_files(&self) -> Result<Option<(&Path, &Path)>> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some((cert, key))),
            (None, None) => Ok(None),
            (Some(_), None) => {
                bail!("tls_cert is set without tls_key: give both (--tls-cert FILE --tls-key FILE)")
            }
            (None, Some(_)) => {
                bail!("tls_key is set without tls_cert: give both (--tls-cert FILE --tls-key FILE)")
            }
        }
    }

    /// The service's configuration, every value checked.
    pub(crate) fn service_config(&self) -> Result<Config> {
        let defaults = Config::default();
        let listen = self.listen();
        let tls = self.tls_files()?.is_some();
        let scheme = if tls { "https" } else { "http" };
        let loopback = listen.ip().is_loopback();
        let has_proxies = self.trusted_proxies.as_ref().is_some_and(|p| !p.is_empty());
        if !loopback && !tls && !has_proxies {
            bail!("listening on {listen} over plain HTTP would send passwords and tokens in the clear: serve HTTPS (--tls-cert FILE --tls-key FILE), or name the proxy that terminates TLS in front of it (--trusted-proxy ADDRESS; it must send X-Forwarded-Proto: https)");
        }
        if self.issuer.is_none() && !loopback {
            bail!("listening on {listen} needs --issuer (or issuer in the config file, or JWTKEEP_ISSUER): every token names its issuer, and {scheme}://{listen} is not an address clients reach; for example --issuer https://auth.example.com");
        }
        let issuer = self
            .issuer
            .clone()
            .unwrap_or_else(|| format!("{scheme}://{listen}"));
        if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
            bail!("issuer {issuer:?} must be an http(s) URL: the service's own address");
        }
        if issuer.starts_with("http://") && !loopback {
            bail!("issuer {issuer:?} is plain HTTP while the service listens on {listen}: clients would fetch its keys and send tokens in the clear; use its https:// address");
        }
        let algorithm = match &self.algorithm {
            None => defaults.algorithm,
            Some(name) => name.parse::<Algorithm>().map_err(|_| {
                anyhow::anyhow!(
                    "algorithm {name:?} is unknown: choose ES256 (the default), EdDSA or RS256"
                )
            })?,
        };
        if algorithm.is_hmac() {
            bail!("algorithm {algorithm} is refused: access tokens must be verifiable from the public JWKS alone, which needs an asymmetric algorithm (ES256, EdDSA, RS256)");
        }
        let secs =
            |name: &str, value: Option<i64>, default: i64, min: i64, max: i64| -> Result<i64> {
                let v = value.unwrap_or(default);
                if v < min || v > max {
                    bail!(
                        "{name} = {v} is out of range: it must be between {min} and {max} seconds"
                    );
                }
                Ok(v)
            };
        let access_ttl_secs = secs(
            "access_ttl_secs",
            self.access_ttl_secs,
            defaults.access_ttl_secs,
            60,
            86_400,
        )?;
        let refresh_ttl_secs = secs(
            "refresh_ttl_secs",
            self.refresh_ttl_secs,
            defaults.refresh_ttl_secs,
            600,
            90 * 86_400,
        )?;
        let confirm_ttl_secs = secs(
            "confirm_ttl_secs",
            self.confirm_ttl_secs,
            defaults.confirm_ttl_secs,
            30,
            3600,
        )?;
        let rotation_secs = secs(
            "rotation_secs",
            self.rotation_secs,
            defaults.rotation_secs,
            3600,
            365 * 86_400,
        )?;
        let jwks_max_age_secs = secs(
            "jwks_max_age_secs",
            self.jwks_max_age_secs,
            defaults.jwks_max_age_secs,
            0,
            86_400,
        )?;
        // A scheduled key must be in every cache of the JWKS, and on every
        // instance (key check interval), before it signs.
        let check = i64::try_from(defaults.key_check_interval.as_secs()).unwrap_or(10);
        let publish_ahead_secs = secs(
            "publish_ahead_secs",
            self.publish_ahead_secs,
            defaults.publish_ahead_secs,
            jwks_max_age_secs + check + 1,
            rotation_secs - 1,
        )?;
        let login_window_secs = secs(
            "login_window_secs",
            self.login_window_secs,
            defaults.login_window_secs,
            1,
            86_400,
        )?;
        let attempts = |name: &str, value: Option<u64>, default: u64| -> Result<u64> {
            let n = value.unwrap_or(default);
            if !(1..=100_000).contains(&n) {
                bail!("{name} = {n} is out of range: 1 to 100000");
            }
            Ok(n)
        };
        let login_attempts = attempts(
            "login_attempts",
            self.login_attempts,
            defaults.login_attempts,
        )?;
        let login_attempts_per_address = attempts(
            "login_attempts_per_address",
            self.login_attempts_per_address,
            defaults.login_attempts_per_address,
        )?;
        let login_attempts_per_account = attempts(
            "login_attempts_per_account",
            self.login_attempts_per_account,
            defaults.login_attempts_per_account,
        )?;
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .flatten()
            .map(|p| {
                p.parse::<jwtkeep_server::Cidr>()
                    .map_err(|e| anyhow::anyhow!("trusted proxy {e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        let refresh_grace_secs = self
            .refresh_grace_secs
            .unwrap_or(defaults.refresh_grace_secs);
        if !(0..=300).contains(&refresh_grace_secs) {
            bail!("refresh_grace_secs = {refresh_grace_secs} is out of range: 0 to 300 (0 turns the grace window off)");
        }
        // A replay in the window gets an access token that expires with the
        // first one: the window must end before it does.
        if refresh_grace_secs >= access_ttl_secs {
            bail!("refresh_grace_secs = {refresh_grace_secs} must be shorter than access_ttl_secs ({access_ttl_secs})");
        }
        let password_hash_workers = self
            .password_hash_workers
            .unwrap_or(defaults.password_hash_workers);
        if !(1..=256).contains(&password_hash_workers) {
            bail!("password_hash_workers = {password_hash_workers} is out of range: 1 to 256 (each takes 19 MiB while it hashes)");
        }
        let password_hash_queue = self
            .password_hash_queue
            .unwrap_or(defaults.password_hash_queue);
        if !(1..=10_000).contains(&password_hash_queue) {
            bail!("password_hash_queue = {password_hash_queue} is out of range: 1 to 10000");
        }
        let allowed_origins = origins("allowed_origins", self.allowed_origins.as_ref())?;
        let cors_origins = origins("cors_origins", self.cors_origins.as_ref())?;
        Ok(Config {
            issuer,
            audience: self.audience.clone().unwrap_or(defaults.audience),
            algorithm,
            access_ttl_secs,
            refresh_ttl_secs,
            confirm_ttl_secs,
            rotation_secs,
            publish_ahead_secs,
            jwks_max_age_secs,
            login_attempts,
            login_attempts_per_address,
            login_attempts_per_account,
            trusted_proxies,
            login_window_secs,
            refresh_grace_secs,
            password_hash_workers,
            password_hash_queue,
            cookie_mode: self.cookie_mode.unwrap_or(false),
            allowed_origins,
            cors_origins,
            require_https: true,
            body_limit_bytes: self
                .body_limit_bytes
                .unwrap_or(defaults.body_limit_bytes)
                .clamp(1024, 1 << 20),
            request_timeout: self
                .request_timeout_secs
                .map_or(defaults.request_timeout, |s| {
                    Duration::from_secs(s.clamp(1, 300))
                }),
            ..defaults
        })
    }
}

/// A list of browser origins (`name` in messages), each exactly as browsers
/// send it: `scheme://host[:port]`, no path, no wildcard.
fn origins(name: &str, list: Option<&Vec<String>>) -> Result<Vec<String>> {
    let list = list.cloned().unwrap_or_default();
    let well_formed = |o: &str| {
        o.strip_prefix("https://")
            .or_else(|| o.strip_prefix("http://"))
            .is_some_and(|host| !host.is_empty() && !host.contains(['/', '*', ' ', '?', '#']))
    };
    if let Some(bad) = list.iter().find(|o| !well_formed(o)) {
        bail!("{name}: {bad:?} must be an origin as browsers send it, scheme://host[:port] with no path and no wildcard");
    }
    Ok(list)
}
