//! `jwtkeep gate`: forward authentication for nginx, Caddy, Traefik and
//! Envoy, built on jwtkeep-guard: each request's token verified against the
//! issuer's keys and revocations, the path's rules applied.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use jwtkeep_guard::gate::Rule;
use jwtkeep_guard::{FeedConfig, Guard, GuardConfig};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::cli::GateArgs;
use crate::output::{self, Outcome};

/// The gate's configuration file.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct GateFile {
    issuer: Option<String>,
    audience: Option<String>,
    listen: Option<SocketAddr>,
    jwks_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    #[serde(default)]
    rule: Vec<Rule>,
}

fn read_file(path: &Path) -> Result<GateFile> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration {}", path.display()))?,
    );
    let file: GateFile = toml::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{} is refused: {}",
            path.display(),
            e.message().lines().next().unwrap_or("not TOML")
        )
    })?;
    if file.client_secret.is_some() {
        crate::files::refuse_readable_by_others(path)?;
    }
    Ok(file)
}

/// A variable's value, if set and not empty.
fn env(name: &str) -> Result<Option<Zeroizing<String>>> {
    Ok(crate::environment::secret_var(name)
        .map_err(anyhow::Error::msg)?
        .filter(|v| !v.is_empty()))
}

/// Runs `gate`.
pub(crate) fn run(args: &GateArgs) -> Result<Outcome> {
    let file = match &args.config {
        Some(path) => read_file(path)?,
        None => GateFile::default(),
    };
    let Some(issuer) = args.issuer.clone().or(file.issuer) else {
        bail!("the gate needs the issuer: --issuer https://auth.example.com (or issuer = \"...\" in --config)");
    };
    let Some(audience) = args.audience.clone().or(file.audience) else {
        bail!("the gate needs the audience tokens are meant for: --audience AUD (or audience = \"...\" in --config)");
    };
    if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
        bail!("--issuer {issuer:?} must be an http(s) URL, the service's own (https://auth.example.com)");
    }
    let file_secret = file.client_secret.map(Zeroizing::new);
    let client_id = env("JWTKEEP_CLIENT_ID")?
        .map(|id| id.as_str().to_owned())
        .or(file.client_id);
    let client_secret = env("JWTKEEP_CLIENT_SECRET")?.or(file_secret);
    let (Some(client_id), Some(client_secret)) = (client_id, client_secret) else {
        bail!("the gate reads revocations as a registered client: set JWTKEEP_CLIENT_ID and JWTKEEP_CLIENT_SECRET (from `jwtkeep client add NAME` on the service), or client_id and client_secret in a 0600 --config file");
    };
    jwtkeep_guard::gate::check_rules(&file.rule).map_err(|e| anyhow::anyhow!("{e}"))?;
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8181)));
    let mut config = GuardConfig::new(
        &issuer,
        &audience,
        FeedConfig::new(&issuer, &client_id, client_secret),
    );
    config.jwks_url = file.jwks_url;
    let rules = file.rule;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let guard = Guard::start(config)
            .await
            .with_context(|| format!("the gate cannot follow {issuer}: is the service up, and the client registered there?"))?;
        let app = jwtkeep_guard::gate::router(guard, rules).map_err(|e| anyhow::anyhow!("{e}"))?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}: is another process using it?"))?;
        let local = listener.local_addr().context("no local address")?;
        let shutdown = crate::commands::serve::shutdown_signal()?;
        output::note(&format!(
            "listening on http://{local} (proxies ask http://{local}/verify; tokens of {issuer} for {audience})"
        ));
        jwtkeep_server::serve(
            listener,
            app,
            jwtkeep_server::ConnectionLimits::default(),
            shutdown,
        )
        .await;
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(Outcome::Clean)
}
