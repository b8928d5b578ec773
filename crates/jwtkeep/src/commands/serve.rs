//! `jwtkeep serve`: opens the store and the master key, then runs the service.

use std::sync::Arc;

use anyhow::{Context as _, Result};
use jwtkeep_server::{Config, EventLog, Service};
use jwtkeep_store::{AnyStore, MasterKey, Users as _};

use crate::cli::ServeArgs;
use crate::clock;
use crate::output::{self, Outcome};
use crate::settings::Settings;

async fn serve(
    store: AnyStore,
    master: MasterKey,
    config: Config,
    settings: &Settings,
    described: String,
) -> Result<()> {
    let listen = settings.listen();
    let config = Config {
        event_log: EventLog::new(output::log_line),
        ..config
    };
    let has_admin = store
        .list_users(100_000)
        .await
        .context("cannot read the users")?
        .iter()
        .any(|u| u.admin && !u.disabled);
    let app = Service::start(store, master, config, Arc::new(clock::now_unix))
        .await
        .context("the service cannot start")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}: is another process using it?"))?;
    let local = listener.local_addr().context("no local address")?;
    let shutdown = shutdown_signal()?;
    if !has_admin {
        output::note(&format!(
            "no administrator yet: create one with `jwtkeep user add NAME --admin --data-dir {}` (the password is read from a prompt or stdin)",
            settings.data_dir().display()
        ));
    }
    output::note(&format!(
        "listening on http://{local} ({described}); public keys at http://{local}/.well-known/jwks.json"
    ));
    // The socket's address is the client address rate limits count by.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("the server stopped with an error")
}

/// Listens for Ctrl-C and SIGTERM from now on, and resolves on either:
/// requests in flight finish, then the process exits 0. Both are registered
/// before the service says it listens, so that a signal sent the moment it
/// does is not met by the default action (death by signal).
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
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
    let config = settings.service_config()?;
    if config.cookie_mode && config.issuer.starts_with("http://") {
        output::warn("cookie mode with an http:// issuer: browsers keep Secure cookies only over https (and on localhost); set --issuer https://...");
    }
    let master = settings.master_key()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let opened = settings.open().await?;
        serve(opened.store, master, config, &settings, opened.description).await
    })?;
    Ok(Outcome::Clean)
}
