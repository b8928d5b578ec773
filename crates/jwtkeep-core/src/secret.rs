//! Symmetric secrets: generated from the OS CSPRNG, sized for their algorithm,
//! wiped on drop and never printed by `Debug`.

use std::fmt;

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use zeroize::Zeroizing;

use crate::alg::Algorithm;

/// The largest secret jwtkeep generates or accepts, in bytes. Longer HMAC keys
/// are hashed down by HMAC itself (RFC 2104), so more adds nothing.
pub(crate) const MAX_SECRET_BYTES: usize = 1024;

/// Secret key material. Its bytes are zeroized on drop and its `Debug` form
/// shows only the length.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps bytes that are already secret (read from a file or decoded from text).
    pub fn from_bytes(bytes: Zeroizing<Vec<u8>>) -> Secret {
        Secret(bytes)
    }

    /// Draws `len` bytes from the operating system's CSPRNG.
    pub fn random(len: usize) -> Result<Secret, SecretError> {
        if len > MAX_SECRET_BYTES {
            return Err(SecretError::TooLong {
                max: MAX_SECRET_BYTES,
                requested: len,
            });
        }
        let mut bytes = Zeroizing::new(vec![0u8; len]);
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| SecretError::RandomUnavailable)?;
        Ok(Secret(bytes))
    }

    /// Generates a secret for `alg`: its minimum size (the hash output length)
    /// unless `bytes` asks for more. Asking for less is refused, naming the minimum.
    pub fn generate(alg: Algorithm, bytes: Option<usize>) -> Result<Secret, SecretError> {
        let min = alg.min_secret_bytes().ok_or(SecretError::NotHmac { alg })?;
        let len = bytes.unwrap_or(min);
        if len < min {
            return Err(SecretError::TooShort {
                alg,
                min,
                requested: len,
            });
        }
        Secret::random(len)
    }

    /// The secret bytes. Call only where the bytes are consumed (a MAC, an encoder).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty (an empty HMAC key is never accepted).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Compares two secrets in time that depends only on their lengths.
    pub fn ct_eq(&self, other: &Secret) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(&self.0, &other.0).is_ok()
    }
}

/// A random identifier (a `jti`, a family id): 16 bytes from the OS CSPRNG, base64url.
pub fn random_id() -> Result<String, SecretError> {
    use base64::Engine as _;
    let bytes = Secret::random(16)?;
    Ok(crate::encoding::BASE64URL.encode(bytes.expose()))
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes, redacted)", self.0.len())
    }
}

/// Why a secret could not be made or was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Shorter than the algorithm's hash output (RFC 7518 §3.2).
    #[error("{alg} needs a secret of at least {min} bytes, {requested} were asked for")]
    TooShort {
        /// The algorithm the secret is for.
        alg: Algorithm,
        /// Its minimum in bytes.
        min: usize,
        /// What was asked for.
        requested: usize,
    },
    /// Longer than [`MAX_SECRET_BYTES`].
    #[error("secrets longer than {max} bytes add no strength; {requested} were asked for")]
    TooLong {
        /// The maximum in bytes.
        max: usize,
        /// What was asked for.
        requested: usize,
    },
    /// The algorithm does not use a shared secret.
    #[error("{alg} uses a key pair, not a shared secret")]
    NotHmac {
        /// The algorithm asked for.
        alg: Algorithm,
    },
    /// The operating system's random source failed.
    #[error("the operating system's random number generator is unavailable")]
    RandomUnavailable,
}

impl SecretError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            SecretError::TooShort { .. } => "secret_too_short",
            SecretError::TooLong { .. } => "secret_too_long",
            SecretError::NotHmac { .. } => "not_hmac",
            SecretError::RandomUnavailable => "random_unavailable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_have_the_algorithms_minimum_length() {
        for (alg, len) in [
            (Algorithm::Hs256, 32),
            (Algorithm::Hs384, 48),
            (Algorithm::Hs512, 64),
        ] {
            assert_eq!(Secret::generate(alg, None).unwrap().len(), len);
        }
        assert_eq!(
            Secret::generate(Algorithm::Hs256, Some(100)).unwrap().len(),
            100
        );
    }

    #[test]
    fn refuses_to_generate_below_the_minimum() {
        let err = Secret::generate(Algorithm::Hs384, Some(32)).unwrap_err();
        assert_eq!(
            err,
            SecretError::TooShort {
                alg: Algorithm::Hs384,
                min: 48,
                requested: 32
            }
        );
        assert!(err.to_string().contains("at least 48 bytes"));
    }

    #[test]
    fn two_generated_secrets_differ() {
        let a = Secret::generate(Algorithm::Hs256, None).unwrap();
        let b = Secret::generate(Algorithm::Hs256, None).unwrap();
        assert!(!a.ct_eq(&b));
        assert!(a.ct_eq(&a.clone()));
    }

    #[test]
    fn debug_shows_no_secret_bytes() {
        let s = Secret::from_bytes(Zeroizing::new(b"hunter2hunter2".to_vec()));
        let shown = format!("{s:?}");
        assert_eq!(shown, "Secret(14 bytes, redacted)");
    }
}
