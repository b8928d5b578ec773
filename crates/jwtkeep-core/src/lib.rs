//! The pure core of jwtkeep: algorithms, secrets and their strength, keys
//! (JWK, JWKS, PEM, RFC 7638 thumbprints) and the signature primitives.
//!
//! This crate performs no I/O: it reads no files, sockets, environment or
//! clock. Time, where it matters, is a parameter. The only thing it draws from
//! the outside world is randomness, from the operating system's CSPRNG, when
//! it generates a secret or a key.
//!
//! Signing and verifying an access token:
//!
//! ```
//! use jwtkeep_core::{sign_claims, Algorithm, HeaderFields, Key, KeyRing, Policy, Secret, Verifier};
//!
//! #[derive(serde::Serialize)]
//! struct Access<'a> { iss: &'a str, sub: &'a str, aud: &'a str, iat: i64, exp: i64, jti: &'a str }
//!
//! let now = 1_800_000_000; // seconds since the epoch: the core never reads the clock
//! let secret = Secret::generate(Algorithm::Hs256, None)?; // 32 bytes from the OS CSPRNG
//! let key = Key::from_secret(&secret, Algorithm::Hs256, None)?;
//! let claims = Access {
//!     iss: "https://auth.example.com", sub: "user-42", aud: "api",
//!     iat: now, exp: now + 900, jti: "4kTQ7d9cYw2Lm8Xv",
//! };
//! let header = HeaderFields { typ: Some("at+jwt".into()), kid: None };
//! let token = sign_claims(&key, &header, &claims)?;
//!
//! let verifier = Verifier::new(
//!     KeyRing::single(Key::from_secret(&secret, Algorithm::Hs256, None)?),
//!     Policy::new().issuer("https://auth.example.com").audience("api").typ("at+jwt"),
//! );
//! let verified = verifier.verify_at(&token, now + 60)?;
//! assert_eq!(verified.payload().sub(), Some("user-42"));
//! // Expired, wrong audience, another key, `alg: none`...: a typed error with a stable code.
//! let err = verifier.verify_at(&token, now + 3600).unwrap_err();
//! assert_eq!(err.code(), "token_expired");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

// The modules are private; what a library user needs is re-exported below:
// keys and key pairs, rings, signing, verification and its policy, claims,
// and the namespaces `encoding` and `pem` (formats), `inspect` (reading a
// token without trusting it) and `strength` (judging a secret).
mod alg;
mod base64url;
mod claims;
mod der;
pub mod encoding;
pub mod inspect;
mod json;
mod jwk;
mod jws;
mod key;
mod keypair;
pub mod pem;
mod primitive;
mod ring;
mod secret;
pub mod strength;
mod untrusted;
mod verified_cache;
mod verify;
mod verify_error;
mod x509;

pub use alg::{Algorithm, AlgorithmError};
pub use claims::{ClaimTypeError, Claims, ClaimsError, MAX_NUMERIC_DATE};
pub use json::JsonError;
pub use jwk::{Jwk, JwkSet};
pub use jws::{sign_claims, HeaderFields, SignError, UnverifiedHeader, MAX_TOKEN_BYTES};
pub use key::{spki_of_public_jwk, Key, KeyKind};
pub use keypair::{KeyPair, DEFAULT_RSA_BITS};
pub use primitive::{KeyError, SigningKey, VerifyingKey};
pub use ring::{KeyRing, KeyState, RingKey, Schedule};
pub use secret::{random_id, Secret, SecretError};
pub use untrusted::Untrusted;
pub use verified_cache::{CacheLimits, VerifiedCache};
pub use verify::{Policy, Verified, Verifier, DEFAULT_LEEWAY_SECS, MAX_LEEWAY_SECS};
pub use verify_error::VerifyError;
pub use x509::certificate_not_after;

/// Not part of the API (no stability promised): the strict readers and
/// limits that the fuzz harness exercises directly.
#[doc(hidden)]
pub mod internals {
    pub use crate::claims::MAX_PAYLOAD_DEPTH;
    pub use crate::json::parse_object;
    pub use crate::jws::{parse_header, MAX_HEADER_DEPTH};
}
