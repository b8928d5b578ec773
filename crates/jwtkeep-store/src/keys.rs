//! Signing keys at rest: records with their schedule, private material sealed
//! with AES-256-GCM under a master key that is never stored beside the data.

use std::fmt;

use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM, NONCE_LEN};
use jwtkeep_core::{Algorithm, Secret};
use zeroize::Zeroizing;

/// The 32-byte key that seals signing keys. It comes from a 0600 file or the
/// environment, read by the binary; the store only ever holds sealed bytes.
pub struct MasterKey(RandomizedNonceKey);

/// Why sealed key material could not be opened or a master key built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The master key is not 32 bytes.
    #[error("the master key must be exactly 32 bytes")]
    MasterKeyLength,
    /// The record was sealed under another master key, or altered.
    #[error(
        "the sealed key does not open under this master key (another master key, or altered data)"
    )]
    WrongKeyOrAltered,
    /// Not a sealed record of this version.
    #[error("the sealed key is not in a format this version reads")]
    Format,
    /// The crypto library failed.
    #[error("sealing failed")]
    Crypto,
}

impl SealError {
    /// A stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            SealError::MasterKeyLength => "master_key_length",
            SealError::WrongKeyOrAltered => "sealed_key_unopenable",
            SealError::Format => "sealed_key_format",
            SealError::Crypto => "crypto_failure",
        }
    }
}

/// Version tag at the front of every sealed record.
const SEALED_V1: &[u8; 3] = b"jk1";

impl MasterKey {
    /// A master key from 32 secret bytes.
    pub fn new(secret: &Secret) -> Result<MasterKey, SealError> {
        if secret.len() != 32 {
            return Err(SealError::MasterKeyLength);
        }
        RandomizedNonceKey::new(&AES_256_GCM, secret.expose())
            .map(MasterKey)
            .map_err(|_| SealError::Crypto)
    }

    /// A fresh random master key.
    pub fn generate() -> Result<(MasterKey, Secret), SealError> {
        let secret = Secret::random(32).map_err(|_| SealError::Crypto)?;
        Ok((MasterKey::new(&secret)?, secret))
    }

    /// Seals `material` for `record`: the record's purpose, kid and algorithm
    /// are bound as associated data, so sealed bytes moved to another record
    /// do not open.
    pub fn seal(&self, record: &KeyRecord, material: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut in_out = Zeroizing::new(material.to_vec());
        let nonce = self
            .0
            .seal_in_place_append_tag(Aad::from(record.binding()), &mut *in_out)
            .map_err(|_| SealError::Crypto)?;
        let mut out = Vec::with_capacity(SEALED_V1.len() + NONCE_LEN + in_out.len());
        out.extend_from_slice(SEALED_V1);
        out.extend_from_slice(nonce.as_ref());
        out.extend_from_slice(&in_out);
        Ok(out)
    }

    /// Opens the record's sealed material.
    pub fn open(&self, record: &KeyRecord) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let rest = record
            .sealed
            .strip_prefix(SEALED_V1.as_slice())
            .ok_or(SealError::Format)?;
        let (nonce, ciphertext) = rest.split_at_checked(NONCE_LEN).ok_or(SealError::Format)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Format)?;
        let mut in_out = Zeroizing::new(ciphertext.to_vec());
        let plain_len = self
            .0
            .open_in_place(nonce, Aad::from(record.binding()), &mut in_out)
            .map_err(|_| SealError::WrongKeyOrAltered)?
            .len();
        in_out.truncate(plain_len);
        Ok(in_out)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// A signing key as stored: its schedule (the same times as
/// [`jwtkeep_core::RingKey`], so its state is a pure function of time), its
/// public JWK, and its private material sealed by a [`MasterKey`].
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// Which ring: "access", "refresh", "confirm"...
    pub purpose: String,
    /// Its key id.
    pub kid: String,
    /// Its algorithm.
    pub alg: Algorithm,
    /// When it was made.
    pub created_at: i64,
    /// Published (in the JWKS) from.
    pub published_at: i64,
    /// Signs from.
    pub active_from: i64,
    /// Stops signing at, once a successor is active.
    pub active_until: Option<i64>,
    /// Stops verifying at.
    pub verify_until: Option<i64>,
    /// The public JWK as JSON, or `None` for an HMAC secret.
    pub public_jwk: Option<String>,
    /// The private material (PKCS#8 DER, or the HMAC secret), sealed.
    pub sealed: Vec<u8>,
}

impl KeyRecord {
    fn binding(&self) -> Vec<u8> {
        let mut aad = b"jwtkeep signing key\0".to_vec();
        for part in [
            self.purpose.as_bytes(),
            self.kid.as_bytes(),
            self.alg.name().as_bytes(),
        ] {
            aad.extend_from_slice(part);
            aad.push(0);
        }
        aad
    }

    pub(crate) fn validate(&self) -> Result<(), crate::StoreError> {
        crate::validate::check_id("key purpose", &self.purpose)?;
        crate::validate::check_id("kid", &self.kid)?;
        if self.sealed.is_empty() {
            return Err(crate::StoreError::invalid("sealed key", "is empty"));
        }
        Ok(())
    }
}

impl fmt::Debug for KeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRecord")
            .field("purpose", &self.purpose)
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("published_at", &self.published_at)
            .field("active_from", &self.active_from)
            .field("active_until", &self.active_until)
            .field("verify_until", &self.verify_until)
            .field("sealed", &format_args!("<{} bytes>", self.sealed.len()))
            .finish_non_exhaustive()
    }
}
