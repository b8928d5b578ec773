//! `jwtkeep serve`: opens the store and the master key, then runs the service.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use jwtkeep_server::{Config, ConnectionLimits, EventLog, Service};
use jwtkeep_store::{AnyStore, MasterKey, Users as _};

use crate::cli::ServeArgs;
use crate::clock;
use crate::output::{self, Outcome};
use crate::settings::Settings;

async fn serve(
    store: AnyStore,
    master: MasterKey,
    config: Config,
    limits: ConnectionLimits,
    settings: &Settings,
    described: String,
    tls: Option<Arc<jwtkeep_server::Tls>>,
) -> Result<()> {
    let listen = settings.listen();
    let config = Config {
        event_log: EventLog::new(output::log_line),
        tls: tls.clone(),
        ..config
    };
    let has_admin = store
        .list_users(100_000)
        .await
        .context("cannot read the users")?
        .iter()
        .any(|u| u.admin && !u.disabled);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}: is another process using it?"))?;
    let local = listener.local_addr().context("no local address")?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // The default issuer is the address bound (port 0 names the port chosen).
    let config = match settings.issuer {
        Some(_) => config,
        None => Config {
            issuer: format!("{scheme}://{local}"),
            ..config
        },
    };
    let app = Service::start(store, master, config, Arc::new(clock::now_unix))
        .await
        .context("the service cannot start")?;
    let shutdown = shutdown_signal()?;
    if !has_admin {
        output::note(&format!(
            "no administrator yet: create one with `jwtkeep user add NAME --admin --data-dir {}` (the password is read from a prompt or stdin)",
            settings.data_dir().display()
        ));
    }
    output::note(&format!(
        "listening on {scheme}://{local} ({described}); public keys at {scheme}://{local}/.well-known/jwks.json"
    ));
    // The socket's address is the client address rate limits count by.
    match tls {
        None => jwtkeep_server::serve(listener, app, limits, shutdown).await,
        Some(tls) => {
            let report = |e: &jwtkeep_server::TlsError| {
                output::warn(&format!(
                    "the certificate files changed but cannot be served ({e}); the previous certificate is still served"
                ));
            };
            jwtkeep_server::serve_tls(listener, app, limits, tls, report, shutdown).await;
        }
    }
    Ok(())
}

/// The cap on connections when none is set and descriptors allow more.
const MAX_DEFAULT_CONNECTIONS: usize = 10_000;

/// The process's soft limit on open descriptors, from `/proc/self/limits`.
fn descriptor_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The connection limits: the configured ones, and a cap on connections
/// that leaves room below the descriptor limit for the store, the logs and
/// the connections being refused.
fn connection_limits(settings: &Settings) -> Result<ConnectionLimits> {
    let defaults = ConnectionLimits::default();
    let header_read_timeout = settings
        .header_read_timeout_secs
        .map_or(defaults.header_read_timeout, Duration::from_secs);
    if !(Duration::from_secs(1)..=Duration::from_secs(300)).contains(&header_read_timeout) {
        bail!(
            "header_read_timeout_secs = {} is out of range: 1 to 300",
            header_read_timeout.as_secs()
        );
    }
    let room = descriptor_limit().map_or(defaults.max_connections, |limit| {
        usize::try_from(limit.saturating_sub(64).max(16)).unwrap_or(usize::MAX)
    });
    let max_connections = match settings.max_connections {
        Some(n) if n == 0 || n > room => bail!(
            "max_connections = {n} is out of range: 1 to {room} (the descriptor limit, less 64 for the store and the logs)"
        ),
        Some(n) => n,
        None => room.min(MAX_DEFAULT_CONNECTIONS),
    };
    Ok(ConnectionLimits {
        header_read_timeout,
        max_connections,
        ..defaults
    })
}

/// Listens for Ctrl-C and SIGTERM from now on, and resolves on either:
/// requests in flight finish, then the process exits 0. Both are registered
/// before the service says it listens, so that a signal sent the moment it
/// does is not met by the default action (death by signal).
pub(crate) fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        output::note("shutting down");
    })
}

/// Runs `serve`.
pub(crate) fn run(args: &ServeArgs) -> Result<Outcome> {
    let mut settings = args.state.settings()?;
    if let Some(listen) = args.listen {
        settings.listen = Some(listen);
    }
    if let Some(issuer) = &args.issuer {
        settings.issuer = Some(issuer.clone());
    }
    if args.cookies {
        settings.cookie_mode = Some(true);
    }
    if !args.allowed_origin.is_empty() {
        settings.allowed_origins = Some(args.allowed_origin.clone());
    }
    if !args.trusted_proxy.is_empty() {
        settings.trusted_proxies = Some(args.trusted_proxy.clone());
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        settings.tls_cert = Some(cert.clone());
        settings.tls_key = Some(key.clone());
    }
    let config = settings.service_config()?;
    let limits = connection_limits(&settings)?;
    if config.cookie_mode && config.issuer.starts_with("http://") {
        output::warn("cookie mode with an http:// issuer: browsers keep Secure cookies only over https (and on localhost); set --issuer https://...");
    }
    // Read and checked before anything else starts: a certificate that
    // cannot be served stops the start with the reason.
    let tls = settings
        .tls_files()?
        .map(|(cert, key)| jwtkeep_server::Tls::load(cert, key).map(Arc::new))
        .transpose()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(not_after) = tls.as_ref().and_then(|t| t.not_after()) {
        let left = not_after.saturating_sub(clock::now_unix());
        if left <= 0 {
            output::warn("the TLS certificate has expired: clients will refuse it; replace the files (they are read again when they change)");
        } else if left < 14 * 86_400 {
            let when = match left / 86_400 {
                0 | 1 => format!("{} hours", left / 3600),
                days => format!("{days} days"),
            };
            output::warn(&format!(
                "the TLS certificate expires in {when}: renew it (the files are read again when they change)"
            ));
        }
    }
    let master = settings.master_key()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let opened = settings.open().await?;
        serve(
            opened.store,
            master,
            config,
            limits,
            &settings,
            opened.description,
            tls,
        )
        .await
    })?;
    Ok(Outcome::Clean)
}
