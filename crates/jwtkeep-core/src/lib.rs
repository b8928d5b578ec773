//! The pure core of jwtkeep: algorithms, secrets and their strength, keys
//! (JWK, JWKS, PEM, RFC 7638 thumbprints) and the signature primitives.
//!
//! This crate performs no I/O: it reads no files, sockets, environment or
//! clock. Time, where it matters, is a parameter. The only thing it draws from
//! the outside world is randomness, from the operating system's CSPRNG, when
//! it generates a secret or a key.

pub mod alg;
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
pub use key::{Key, KeyKind};
pub use keypair::KeyPair;
pub use primitive::{KeyError, SigningKey, VerifyingKey};
pub use ring::{KeyRing, KeyState, RingKey};
pub use secret::{Secret, SecretError};
pub use verify::{Policy, Verified, Verifier, VerifyError};
