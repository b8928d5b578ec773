//! Passwords: argon2id at OWASP's parameters, hashed and checked off the
//! async threads, with the same work whether or not the user exists.

use argon2::password_hash::{
    PasswordHash as Phc, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use jwtkeep_core::Secret;
use jwtkeep_store::PasswordHash;

/// OWASP's argon2id configuration: 19 MiB, 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Too short or too long.
    #[error("a password must be 12 to 1024 bytes long")]
    Length,
    /// The hasher or the random generator failed.
    #[error("the password could not be hashed")]
    Hash,
}

/// Hashes `password` with a fresh 16-byte salt from the OS CSPRNG.
pub fn hash(password: &str) -> Result<PasswordHash, PasswordError> {
    if password.len() < 12 || password.len() > 1024 {
        return Err(PasswordError::Length);
    }
    let salt_bytes = Secret::random(16).map_err(|_| PasswordError::Hash)?;
    let salt = SaltString::encode_b64(salt_bytes.expose()).map_err(|_| PasswordError::Hash)?;
    let phc = hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|_| PasswordError::Hash)?
        .to_string();
    PasswordHash::new(&phc).map_err(|_| PasswordError::Hash)
}

/// A hash of a password nobody knows, checked when the user does not exist so
/// that the answer takes as long as for a real user.
fn decoy() -> Option<&'static PasswordHash> {
    static DECOY: std::sync::OnceLock<Option<PasswordHash>> = std::sync::OnceLock::new();
    DECOY
        .get_or_init(|| hash("decoy password that never matches").ok())
        .as_ref()
}

/// Whether `password` matches `stored` (or, with no user, runs the same work
/// against a decoy and answers false). Constant-time in the comparison.
pub fn verify(password: &str, stored: Option<&PasswordHash>) -> bool {
    let target = match stored {
        Some(hash) => Some(hash),
        None => decoy(),
    };
    let Some(target) = target else {
        return false;
    };
    let matches = Phc::new(target.as_str())
        .map(|phc| hasher().verify_password(password.as_bytes(), &phc).is_ok())
        .unwrap_or(false);
    matches && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_owasp_argon2id_salted_and_verify_only_the_password() {
        let a = hash("correct horse battery staple").unwrap();
        let b = hash("correct horse battery staple").unwrap();
        assert!(a.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify("correct horse battery staple", Some(&a)));
        assert!(!verify("correct horse battery stapl", Some(&a)));
        assert!(!verify("correct horse battery staple", None));
        assert!(matches!(hash("short"), Err(PasswordError::Length)));
    }
}
