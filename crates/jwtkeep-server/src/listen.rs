//! Serving the router on the listener it is given, with the limits a
//! public endpoint needs and `axum::serve` does not offer:
//! - a connection that has not sent a complete request head within
//!   `header_read_timeout` is closed. hyper starts that clock whenever it
//!   waits for a head: on a new connection, half-way through a head, and
//!   between two requests of a kept-alive connection, so it is also the
//!   keep-alive idle limit;
//! - at most `max_connections` are open at once; one more is answered `503`
//!   with `Retry-After` and closed at once, so the process never runs out of
//!   descriptors and the connections it holds keep being served;
//! - on shutdown, requests in flight finish (for up to `drain` time);
//! - with TLS ([`serve_tls`]), the handshake must end within the header
//!   read timeout too, the certificate files are looked at before each
//!   handshake ([`Tls::refresh`]), and requests are marked [`OverTls`].

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

use crate::tls::{Tls, TlsError};

/// How connections are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Longest wait for a complete request head (new, partial or between
    /// requests on a kept-alive connection) before the connection is closed.
    pub header_read_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Longest the requests in flight may take to finish at shutdown.
    pub drain: Duration,
}

impl Default for ConnectionLimits {
    /// 10 s for a request head, 1,000 connections, 10 s to drain.
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1000,
            drain: Duration::from_secs(10),
        }
    }
}

/// The answer to a connection over the cap, written by hand: no request has
/// been read (and none will be).
fn over_capacity() -> Vec<u8> {
    let body =
        r#"{"error":"busy","message":"the service has too many open connections; retry shortly"}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Pause after a failed accept (out of descriptors, say), so that the loop
/// does not spin while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Marks a request that came over a TLS connection of this service.
#[derive(Clone, Copy, Debug)]
pub struct OverTls;

/// Serves `router` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish for up to `limits.drain`. Each request carries
/// the peer's address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    serve_with(listener, router, limits, None, shutdown).await;
}

/// [`serve`] over TLS: `tls`'s certificate, read again when its files
/// change; a failed reload is passed to `report` (the previous certificate
/// is still served). A connection over the cap is closed without an answer
/// (no handshake is spent on it).
pub async fn serve_tls(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    tls: Arc<Tls>,
    report: impl Fn(&TlsError) + Send + Sync + 'static,
    shutdown: impl Future<Output = ()>,
) {
    let report: Arc<dyn Fn(&TlsError) + Send + Sync> = Arc::new(report);
    serve_with(listener, router, limits, Some((tls, report)), shutdown).await;
}

/// A TLS configuration and where its reload failures go.
type TlsSide = (Arc<Tls>, Arc<dyn Fn(&TlsError) + Send + Sync>);

async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    tls: Option<TlsSide>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (mut stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            if tls.is_some() {
                // No plain-text answer can be read on a TLS connection.
                drop(stream);
                continue;
            }
            tokio::spawn(async move {
                let refuse = async {
                    let _ = stream.write_all(&over_capacity()).await;
                    let _ = stream.shutdown().await;
                    // A lingering close: read what the client sent until it
                    // closes too, so that closing with its request unread
                    // does not reset the connection before it reads the 503.
                    let mut sink = [0u8; 1024];
                    while let Ok(1..) = stream.read(&mut sink).await {}
                };
                let _ = tokio::time::timeout(Duration::from_secs(1), refuse).await;
            });
            continue;
        };
        let app = router.clone();
        let over_tls = tls.is_some();
        let service = TowerToHyperService::new(tower::service_fn(
            move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                if over_tls {
                    request.extensions_mut().insert(OverTls);
                }
                let app = app.clone();
                async move {
                    let response = app.oneshot(request).await;
                    Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
                }
            },
        ));
        match &tls {
            None => {
                let connection = http.serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                    drop(slot);
                });
            }
            Some((tls, report)) => {
                let (tls, report) = (Arc::clone(tls), Arc::clone(report));
                let (http, watcher) = (http.clone(), graceful.watcher());
                let handshake_timeout = limits.header_read_timeout;
                tokio::spawn(async move {
                    if let Some(Err(e)) = tls.refresh() {
                        report(&e);
                    }
                    let accepted =
                        tokio::time::timeout(handshake_timeout, tls.acceptor().accept(stream))
                            .await;
                    if let Ok(Ok(stream)) = accepted {
                        let connection = http.serve_connection(TokioIo::new(stream), service);
                        let _ = watcher.watch(connection).await;
                    }
                    drop(slot);
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.drain, graceful.shutdown()).await;
}
