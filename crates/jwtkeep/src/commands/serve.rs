//! `jwtkeep serve`: opens the store and the master key, then runs the service.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use jwtkeep_core::encoding::TextEncoding;
use jwtkeep_core::Secret;
use jwtkeep_server::{Config, Service};
use jwtkeep_store::{MasterKey, RedisConfig, RedisStore, SqliteStore, Store};

use crate::cli::ServeArgs;
use crate::output::{self, Outcome};
use crate::{clock, environment, files};

/// The environment variable that may hold the master key instead of the file.
const MASTER_KEY_VAR: &str = "JWTKEEP_MASTER_KEY";

fn parse_master(text: &str, origin: &str) -> Result<MasterKey> {
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
fn master_key(data_dir: &Path, shared_store: bool) -> Result<MasterKey> {
    if let Some(text) = environment::secret_var(MASTER_KEY_VAR).map_err(anyhow::Error::msg)? {
        return parse_master(&text, MASTER_KEY_VAR);
    }
    if shared_store {
        bail!("--store redis:// shares signing keys between instances: give every instance the same master key in {MASTER_KEY_VAR} (32 bytes, base64url; `jwtkeep gen secret --bytes 32`)");
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
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            bail!(
                "{} is readable by others (mode {:o}): run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?,
    );
    parse_master(&text, &path.display().to_string())
}

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
        ..Config::default()
    };
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
    let shared = args.store.is_some();
    if !shared {
        files::ensure_private_dir(&args.data_dir)?;
    }
    let master = master_key(&args.data_dir, shared)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        match &args.store {
            Some(url) => {
                if !url.starts_with("redis://") {
                    bail!("--store takes a redis:// URL (SQLite, the default, needs no flag)");
                }
                let store = RedisStore::open(RedisConfig::new(url.clone()))
                    .await
                    .context("cannot reach Redis")?;
                serve(store, master, args, "store: redis".to_owned()).await
            }
            None => {
                let path = args.data_dir.join("jwtkeep.db");
                let store = SqliteStore::open(&path)
                    .await
                    .with_context(|| format!("cannot open the store {}", path.display()))?;
                serve(
                    store,
                    master,
                    args,
                    format!("store: sqlite {}", path.display()),
                )
                .await
            }
        }
    })?;
    Ok(Outcome::Clean)
}
