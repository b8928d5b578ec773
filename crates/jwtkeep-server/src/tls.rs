//! Native HTTPS: a certificate chain and its key read from PEM files,
//! served with rustls on aws-lc-rs (TLS 1.2 and 1.3 only, HTTP/1.1 by
//! ALPN), and read again when either file changes, without dropping a
//! connection: every new connection first looks at the files' metadata
//! (two `stat`s), and a change is loaded before its handshake. A change
//! that does not load (a half-written file, a key of another certificate)
//! keeps the certificate being served, and is reported once.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// Why the certificate or its key cannot be served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file cannot be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The certificate file holds no PEM certificate.
    #[error("{0} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate(PathBuf),
    /// The key file holds no PEM private key.
    #[error("{0} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    NoKey(PathBuf),
    /// The key file may be read by every user of the machine.
    #[error("{0} can be read by every user: run `chmod o-rwx {0}` (0600 or 0640)")]
    KeyReadableByOthers(PathBuf),
    /// The key is not one this service can sign handshakes with.
    #[error("the key in {path} cannot be used: {reason}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The key is not the certificate's.
    #[error("the key in {key} is not the key of the first certificate in {cert}: give the certificate's own key")]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// rustls refused the configuration.
    #[error("TLS cannot be set up: {0}")]
    Setup(String),
}

/// What a file looked like when it was last read: a change of any of these
/// (a rename over it, an edit in place, certbot's new symlink target) makes
/// the next connection read it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode: meta.ino(),
    })
}

/// The served certificate, swapped whole when the files change.
struct Current(RwLock<Arc<CertifiedKey>>);

impl fmt::Debug for Current {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Current(certificate)")
    }
}

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.0.read().unwrap_or_else(PoisonError::into_inner),
        ))
    }
}

/// The certificate and key files being served.
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: Arc<Current>,
    /// The files as last read (or last tried).
    seen: Mutex<(Option<Stamp>, Option<Stamp>)>,
    acceptor: TlsAcceptor,
    /// When the served certificate expires (seconds since the epoch; 0: unknown).
    not_after: AtomicI64,
    /// Reloads after a change: loaded, failed.
    reloads: [AtomicU64; 2],
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Reads `cert` (the chain, leaf first) and `key`, checks that they
    /// belong together, and builds the server's TLS configuration.
    pub fn load(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let seen = (stamp(cert), stamp(key));
        let (certified, not_after) = read_pair(&provider, cert, key)?;
        let current = Arc::new(Current(RwLock::new(Arc::new(certified))));
        let mut config = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError::Setup(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(&current) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            cert: cert.to_owned(),
            key: key.to_owned(),
            provider,
            current,
            seen: Mutex::new(seen),
            acceptor: TlsAcceptor::from(Arc::new(config)),
            not_after: AtomicI64::new(not_after.unwrap_or(0)),
            reloads: [AtomicU64::new(0), AtomicU64::new(0)],
        })
    }

    /// When the certificate being served expires, seconds since the epoch.
    pub fn not_after(&self) -> Option<i64> {
        Some(self.not_after.load(Ordering::Relaxed)).filter(|t| *t != 0)
    }

    /// The Prometheus lines of the certificate served: its expiry, and the
    /// reloads after a change by result.
    pub(crate) fn render_metrics(&self) -> String {
        let mut out = String::new();
        if let Some(not_after) = self.not_after() {
            out.push_str("# HELP jwtkeep_tls_certificate_expiry_timestamp_seconds When the certificate being served expires.\n");
            out.push_str("# TYPE jwtkeep_tls_certificate_expiry_timestamp_seconds gauge\n");
            out.push_str(&format!(
                "jwtkeep_tls_certificate_expiry_timestamp_seconds {not_after}\n"
            ));
        }
        out.push_str("# HELP jwtkeep_tls_certificate_reloads_total Certificate files read again after they changed, by result.\n");
        out.push_str("# TYPE jwtkeep_tls_certificate_reloads_total counter\n");
        for (result, count) in ["loaded", "failed"].iter().zip(&self.reloads) {
            out.push_str(&format!(
                "jwtkeep_tls_certificate_reloads_total{{result=\"{result}\"}} {}\n",
                count.load(Ordering::Relaxed)
            ));
        }
        out
    }

    /// The handshake, with the certificate being served.
    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// Reads the files again if they changed since they were last read:
    /// `None` when they did not, else whether the new pair is now served
    /// (on an error the previous one still is).
    pub fn refresh(&self) -> Option<Result<(), TlsError>> {
        let now = (stamp(&self.cert), stamp(&self.key));
        {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            if *seen == now {
                return None;
            }
            // Tried once per change: a broken file is not read on every connection.
            *seen = now;
        }
        let read = read_pair(&self.provider, &self.cert, &self.key);
        let [loaded, failed] = &self.reloads;
        Some(match read {
            Ok((certified, not_after)) => {
                *self
                    .current
                    .0
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = Arc::new(certified);
                self.not_after
                    .store(not_after.unwrap_or(0), Ordering::Relaxed);
                loaded.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                failed.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        })
    }
}

/// The chain of `cert` and the key of `key`, checked to belong together,
/// and when the first certificate expires.
fn read_pair(
    provider: &CryptoProvider,
    cert: &Path,
    key: &Path,
) -> Result<(CertifiedKey, Option<i64>), TlsError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|e| TlsError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        })
    };
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(key)
            .map_err(|e| TlsError::Read {
                path: key.to_owned(),
                reason: e.to_string(),
            })?
            .permissions()
            .mode();
        if mode & 0o004 != 0 {
            return Err(TlsError::KeyReadableByOthers(key.to_owned()));
        }
    }
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read(cert)?)
        .collect::<Result<_, _>>()
        .map_err(|_| TlsError::NoCertificate(cert.to_owned()))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert.to_owned()));
    }
    let key_bytes = zeroize::Zeroizing::new(read(key)?);
    let der =
        PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|_| TlsError::NoKey(key.to_owned()))?;
    let signing = provider
        .key_provider
        .load_private_key(der)
        .map_err(|e| TlsError::Key {
            path: key.to_owned(),
            reason: e.to_string(),
        })?;
    let not_after = chain
        .first()
        .and_then(|leaf| jwtkeep_core::certificate_not_after(leaf));
    let certified = CertifiedKey::new(chain, signing);
    match certified.keys_match() {
        // A key that does not say its public half cannot be compared.
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok((certified, not_after))
        }
        Err(rustls::Error::InconsistentKeys(_)) => Err(TlsError::KeyMismatch {
            cert: cert.to_owned(),
            key: key.to_owned(),
        }),
        Err(e) => Err(TlsError::Setup(format!(
            "the first certificate in {} cannot be read: {e}",
            cert.display()
        ))),
    }
}
