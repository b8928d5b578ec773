//! `jwtkeep serve`: opens the store and the master key, then runs the service.

use std::sync::Arc;

use anyhow::{Context as _, Result};
use jwtkeep_server::{Config, EventLog, Service};
use jwtkeep_store::{MasterKey, Store};

use crate::cli::ServeArgs;
use crate::clock;
use crate::output::{self, Outcome};
use crate::stores::with_store;

async fn serve<S: Store>(
    store: S,
    master: MasterKey,
    args: &ServeArgs,
    described: String,
) -> Result<()> {
    let config = Config {
        issuer: args
            .issuer
            .clone()
            .unwrap_or_else(|| format!("http://{}", args.listen)),
        event_log: EventLog::new(output::log_line),
        ..Config::default()
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
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}: is another process using it?",
                args.listen
            )
        })?;
    let local = listener.local_addr().context("no local address")?;
    if !has_admin {
        output::note(&format!(
            "no administrator yet: create one with `jwtkeep user add NAME --admin --data-dir {}` (the password is read from a prompt or stdin)",
            args.state.data_dir.display()
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
    let master = args.state.master_key()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let opened = args.state.open().await?;
        let described = opened.describe();
        with_store!(opened, store => serve(store, master, args, described).await)
    })?;
    Ok(Outcome::Clean)
}
