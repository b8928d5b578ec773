//! Loading keys from where users keep them: a JWK, JWKS or PEM file, or an
//! HMAC secret from the environment or a file (never from argv).

use std::fs;
use std::io::Read as _;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use jwtkeep_core::strength::{interpret, InputEncoding};
use jwtkeep_core::KeyError;
use jwtkeep_core::{Algorithm, Jwk, JwkSet, Key, KeyRing};
use zeroize::Zeroizing;

use crate::cli::KeySourceArgs;
use crate::environment;

/// The largest key file read.
const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

fn read_limited(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let file = fs::File::open(path).with_context(|| {
        format!(
            "cannot read {}: check the path and its permissions",
            path.display()
        )
    })?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        bail!(
            "{} is larger than 1 MiB: is it really a key?",
            path.display()
        );
    }
    Ok(bytes)
}

fn single_alg(algs: &[Algorithm]) -> Option<Algorithm> {
    match algs {
        [one] => Some(*one),
        _ => None,
    }
}

fn check_allowed(key: Key, algs: &[Algorithm]) -> Result<Key, KeyError> {
    if !algs.is_empty() && !algs.contains(&key.algorithm()) {
        return Err(KeyError::AlgConflict {
            key: key.algorithm(),
            asked: algs.first().copied().unwrap_or(key.algorithm()),
        });
    }
    Ok(key)
}

/// Loads every key the arguments name into a ring (one key: it also accepts
/// tokens without `kid`). The outer error is a usage or I/O problem (exit 2);
/// the inner one a key jwtkeep refuses (exit 1 for verify).
pub(crate) fn load_keys(args: &KeySourceArgs) -> Result<Result<KeyRing, KeyError>> {
    let algs = &args.alg;
    if let Some(var) = &args.secret_env {
        let text = environment::secret_var(var)
            .map_err(anyhow::Error::msg)?
            .with_context(|| format!("environment variable {var} is not set"))?;
        return Ok(secret_key(&text, args));
    }
    if let Some(path) = &args.secret_file {
        let bytes = read_limited(path)?;
        let mut text = Zeroizing::new(String::from_utf8(bytes.to_vec()).map_err(|_| {
            anyhow::anyhow!(
                "{} is not text: store the secret as hex or base64 and pass --secret-encoding",
                path.display()
            )
        })?);
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        return Ok(secret_key(&text, args));
    }
    let Some(path) = &args.key else {
        bail!("no key given: pass --key FILE (JWK, JWKS or PEM), or --secret-env VAR / --secret-file FILE for an HMAC secret");
    };
    let bytes = read_limited(path)?;
    let text = Zeroizing::new(String::from_utf8(bytes.to_vec()).map_err(|_| {
        anyhow::anyhow!(
            "{} is not a text key file (JWK, JWKS or PEM)",
            path.display()
        )
    })?);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(trimmed).map_err(|_| {
            anyhow::anyhow!(
                "{} is not valid JSON: expected a JWK or a JWKS",
                path.display()
            )
        })?;
        if value.get("keys").is_some() {
            let mut set: JwkSet = serde_json::from_value(value)
                .map_err(|_| anyhow::anyhow!("{} is not a valid JWKS", path.display()))?;
            // A JWKS may hold keys for other algorithms; --alg picks among them.
            if !algs.is_empty() {
                set.keys.retain(|jwk| {
                    jwk.alg
                        .as_deref()
                        .and_then(Algorithm::from_jose_name)
                        .is_none_or(|alg| algs.contains(&alg))
                });
            }
            if set.keys.is_empty() {
                bail!(
                    "{} holds no key for the algorithms asked for",
                    path.display()
                );
            }
            return Ok(KeyRing::from_jwk_set(&set, single_alg(algs)));
        }
        let jwk: Jwk = serde_json::from_value(value)
            .map_err(|_| anyhow::anyhow!("{} is not a valid JWK", path.display()))?;
        return Ok(Key::from_jwk(&jwk, single_alg(algs))
            .and_then(|k| check_allowed(k, algs))
            .map(|k| KeyRing::single(with_kid(k, args))));
    }
    if trimmed.starts_with("-----BEGIN") {
        let Some(alg) = single_alg(algs) else {
            bail!(
                "a PEM key declares no algorithm: pass exactly one --alg (for example --alg ES256)"
            );
        };
        return Ok(Key::from_pem(&text, alg, args.kid.clone()).map(KeyRing::single));
    }
    bail!(
        "{} is neither a JWK, a JWKS nor a PEM key; HMAC secrets go in --secret-file",
        path.display()
    )
}

fn with_kid(key: Key, args: &KeySourceArgs) -> Key {
    match &args.kid {
        Some(kid) => key.with_kid(Some(kid.clone())),
        None => key,
    }
}

fn secret_key(text: &str, args: &KeySourceArgs) -> Result<KeyRing, KeyError> {
    let alg = match args.alg.as_slice() {
        [] => Algorithm::Hs256,
        [one] => *one,
        [first, ..] => {
            return Err(KeyError::AlgConflict {
                key: Algorithm::Hs256,
                asked: *first,
            })
        }
    };
    let encoding: InputEncoding = args.secret_encoding.into();
    let interpreted = interpret(text, encoding).map_err(|_| KeyError::Rejected {
        reason: "the secret does not decode in the --secret-encoding given",
    })?;
    Key::from_secret(&interpreted.secret, alg, args.kid.clone()).map(KeyRing::single)
}
