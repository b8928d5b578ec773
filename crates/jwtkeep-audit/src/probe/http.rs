//! The probe's two network ends: a client that sends only to the one URL it
//! was given, paced and without redirects; and, for loopback endpoints, a
//! loopback publisher for the key that `jku` names.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::{Method, ProbeOptions};

/// A request that got no answer.
#[derive(Debug, thiserror::Error)]
#[error("request to {url} failed: {reason}")]
pub struct HttpError {
    url: String,
    reason: String,
}

/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends the probe's requests.
pub(crate) struct Client {
    agent: ureq::Agent,
    url: String,
    method: Method,
    header: Option<String>,
    interval: Duration,
    last: Option<Instant>,
    sent: usize,
}

/// The largest JWKS read.
const MAX_JWKS_BYTES: u64 = 1 << 20;

/// An agent that talks to `url` only: http(s), no redirects, a timeout.
fn agent_for(url: &str) -> Result<ureq::Agent, HttpError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(HttpError {
            url: url.to_owned(),
            reason: "the URL must start with http:// or https://".to_owned(),
        });
    }
    let tls = ureq::tls::TlsConfig::builder()
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .build();
    Ok(ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        // Only the URL given: a redirect elsewhere is an answer, not a destination.
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("jwtkeep-probe/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .into())
}

/// The JWKS published at `url` (one GET, no redirects, at most 1 MiB).
pub fn fetch_jwks(url: &str) -> Result<jwtkeep_core::JwkSet, HttpError> {
    let fail = |reason: String| HttpError {
        url: url.to_owned(),
        reason,
    };
    let response = agent_for(url)?
        .get(url)
        .header("Accept", "application/json")
        .call()
        .map_err(|e| fail(e.to_string()))?;
    if response.status() != 200 {
        return Err(fail(format!(
            "status {}, not 200",
            response.status().as_u16()
        )));
    }
    let mut body = response.into_body();
    let text = body
        .with_config()
        .limit(MAX_JWKS_BYTES)
        .read_to_string()
        .map_err(|e| fail(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| fail(format!("not a JWKS: {e}")))
}

impl Client {
    pub(crate) fn new(options: &ProbeOptions<'_>) -> Result<Client, HttpError> {
        let agent = agent_for(&options.url)?;
        Ok(Client {
            agent,
            url: options.url.clone(),
            method: options.method,
            header: options.header.clone(),
            interval: options.interval,
            last: None,
            sent: 0,
        })
    }

    /// Requests sent so far.
    pub(crate) fn sent(&self) -> usize {
        self.sent
    }

    /// Waits out the interval since the last request.
    fn pace(&mut self) {
        if let Some(last) = self.last {
            let due = last + self.interval;
            // park_timeout may wake early; loop until the time has come.
            while let Some(left) = due.checked_duration_since(Instant::now()) {
                if left.is_zero() {
                    break;
                }
                thread::park_timeout(left);
            }
        }
        self.last = Some(Instant::now());
    }

    /// Sends one request with `token` (or none); the status.
    pub(crate) fn send(&mut self, token: Option<&str>) -> Result<u16, HttpError> {
        self.pace();
        self.sent += 1;
        let (name, value) = match (&self.header, token) {
            (_, None) => (None, None),
            (Some(name), Some(t)) => (Some(name.as_str()), Some(t.to_owned())),
            (None, Some(t)) => (Some("Authorization"), Some(format!("Bearer {t}"))),
        };
        let fail = |e: ureq::Error| HttpError {
            url: self.url.clone(),
            reason: e.to_string(),
        };
        let response = match self.method {
            Method::Get => {
                let mut req = self.agent.get(&self.url);
                if let (Some(n), Some(v)) = (name, &value) {
                    req = req.header(n, v);
                }
                req.call().map_err(fail)?
            }
            Method::Post => {
                let mut req = self.agent.post(&self.url);
                if let (Some(n), Some(v)) = (name, &value) {
                    req = req.header(n, v);
                }
                req.send_empty().map_err(fail)?
            }
        };
        Ok(response.status().as_u16())
    }
}

/// Whether the URL's host is a loopback address.
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Serves the probe's JWKS on 127.0.0.1 for the `jku` attack, and counts
/// the endpoint's fetches.
pub(crate) struct Publisher {
    port: u16,
    body: Arc<Mutex<String>>,
    hits: Arc<AtomicUsize>,
}

impl Publisher {
    /// A publisher when `url` is a loopback endpoint (which can reach it).
    pub(crate) fn start_if_loopback(url: &str) -> Option<Publisher> {
        if !is_loopback(url) {
            return None;
        }
        let listener = TcpListener::bind("127.0.0.1:0").ok()?;
        let port = listener.local_addr().ok()?.port();
        let body = Arc::new(Mutex::new(String::new()));
        let hits = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (Arc::clone(&body), Arc::clone(&hits));
        // Lives as long as the process: it only answers on loopback, and the
        // probe is a short-lived command.
        thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                // The request line and headers, which may arrive in pieces.
                let mut request = Vec::new();
                let mut chunk = [0u8; 1024];
                while request.len() < 8192 && !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                    }
                }
                counted.fetch_add(1, Ordering::Relaxed);
                let line = request.split(|&b| b == b'\n').next().unwrap_or_default();
                let path_is_jwks = line.windows(10).any(|w| w == b"/jwks.json");
                let response = if path_is_jwks {
                    let body = served
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clone();
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        .to_owned()
                };
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Some(Publisher { port, body, hits })
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) fn publish(&self, jwks: String) {
        *self.body.lock().unwrap_or_else(PoisonError::into_inner) = jwks;
    }

    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_get_a_publisher() {
        for url in [
            "http://127.0.0.1:8080/me",
            "http://localhost/x",
            "https://[::1]:8443/",
            "http://user@127.0.0.2/",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "https://api.example.com/me",
            "http://10.0.0.1/",
            "http://127.0.0.1.example.com/",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }
}
