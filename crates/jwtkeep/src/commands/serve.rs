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
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("the server stopped with an error")
}

/// Resolves on Ctrl-C or SIGTERM: requests in flight finish, then the process exits 0.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    output::note("shutting down");
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
