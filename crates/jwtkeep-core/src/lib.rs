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

pub mod alg;
mod base64url;
pub mod claims;
pub mod der;
pub mod encoding;
pub mod inspect;
pub mod json;
pub mod jwk;
pub mod jws;
pub mod key;
pub mod keypair;
pub mod pem;
pub mod primitive;
pub mod ring;
pub mod secret;
pub mod strength;
pub mod untrusted;
pub mod verify;

pub use alg::{Algorithm, AlgorithmError};
pub use claims::Claims;
pub use jwk::{Jwk, JwkSet};
pub use jws::{sign_claims, HeaderFields, SignError, UnverifiedHeader};
pub use key::{spki_of_public_jwk, Key, KeyKind};
pub use keypair::KeyPair;
pub use primitive::{KeyError, SigningKey, VerifyingKey};
pub use ring::{KeyRing, KeyState, RingKey, Schedule};
pub use secret::{Secret, SecretError};
pub use verify::{Policy, Verified, Verifier, VerifyError};
