//! The signature primitives behind every algorithm, over raw signing input.
//!
//! Keys are parsed once into these types and reused. An HMAC key shorter than
//! its hash output and an RSA key under 2048 bits cannot be built at all.

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, ParsedPublicKey};
use aws_lc_rs::{hmac, rsa};

use crate::alg::{Algorithm, KeyFamily};
use crate::secret::Secret;

/// The smallest RSA modulus jwtkeep accepts, in bits (RFC 7518 §3.3, NIST SP 800-131A).
pub(crate) const MIN_RSA_BITS: usize = 2048;

/// A key that can sign, bound to one algorithm.
pub struct SigningKey {
    alg: Algorithm,
    inner: SigningInner,
}

enum SigningInner {
    Hmac(Box<hmac::Key>, usize),
    Rsa(signature::RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A key that can verify, bound to one algorithm.
pub struct VerifyingKey {
    alg: Algorithm,
    inner: VerifyingInner,
}

enum VerifyingInner {
    Hmac { key: Box<hmac::Key>, len: usize },
    Public { key: ParsedPublicKey, raw: Vec<u8> },
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, redacted)", self.alg)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({})", self.alg)
    }
}

/// Why key material was refused or an operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is of another kind than the algorithm needs.
    #[error("{alg} cannot use this key: it needs {expected}")]
    WrongKeyType {
        /// The algorithm asked for.
        alg: Algorithm,
        /// What kind of key it needs.
        expected: &'static str,
    },
    /// An HMAC secret shorter than the hash output (RFC 7518 §3.2).
    #[error("{alg} needs a secret of at least {min} bytes; this one has {actual}")]
    SecretTooShort {
        /// The algorithm.
        alg: Algorithm,
        /// Its minimum.
        min: usize,
        /// The secret's length.
        actual: usize,
    },
    /// An RSA modulus under [`MIN_RSA_BITS`].
    #[error("RSA keys must have at least {MIN_RSA_BITS} bits; this one has {bits}")]
    RsaTooSmall {
        /// The modulus size.
        bits: usize,
    },
    /// An RSA size jwtkeep does not generate.
    #[error("RSA key size must be 2048, 3072 or 4096 bits, not {bits}")]
    UnsupportedRsaBits {
        /// What was asked for.
        bits: usize,
    },
    /// The key material did not parse, or the cryptographic library refused it.
    #[error("the key was rejected: {reason}")]
    Rejected {
        /// The library's short description; never key material.
        reason: &'static str,
    },
    /// Generating or signing failed inside the cryptographic library.
    #[error("the cryptographic library failed to {operation}")]
    Crypto {
        /// What was being done.
        operation: &'static str,
    },
    /// The key is valid but too weak to be trusted.
    #[error("weak key: {reason}")]
    Weak {
        /// Why.
        reason: &'static str,
    },
    /// A JWK member the key type requires is absent.
    #[error("the JWK lacks the member \"{member}\"")]
    MissingMember {
        /// The member.
        member: &'static str,
    },
    /// A JWK member is not valid base64url or has the wrong length.
    #[error("the JWK member \"{member}\" is not valid")]
    InvalidMember {
        /// The member.
        member: &'static str,
    },
    /// The JWK names an algorithm jwtkeep does not know (or `none`).
    #[error("the key's \"alg\" is not a supported JWS algorithm")]
    UnknownKeyAlg,
    /// The key declares one algorithm and another was asked for.
    #[error("the key is bound to {key}, not {asked}")]
    AlgConflict {
        /// What the key declares.
        key: Algorithm,
        /// What was asked for.
        asked: Algorithm,
    },
    /// The key declares no algorithm and none was given.
    #[error("the key declares no \"alg\": name the algorithm explicitly")]
    AlgRequired,
    /// `use` or `key_ops` forbid signatures.
    #[error("the key's \"use\" or \"key_ops\" do not allow signatures")]
    UseForbidsSignatures,
    /// The JWK `kty` is not oct, RSA, EC or OKP.
    #[error("unsupported key type; expected kty oct, RSA, EC or OKP")]
    UnsupportedKeyType,
}

impl KeyError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::WrongKeyType { .. } => "wrong_key_type",
            KeyError::SecretTooShort { .. } => "secret_too_short",
            KeyError::RsaTooSmall { .. } => "rsa_key_too_small",
            KeyError::UnsupportedRsaBits { .. } => "unsupported_rsa_bits",
            KeyError::Rejected { .. } => "key_rejected",
            KeyError::Crypto { .. } => "crypto_failure",
            KeyError::Weak { .. } => "weak_key",
            KeyError::MissingMember { .. } => "jwk_missing_member",
            KeyError::InvalidMember { .. } => "jwk_invalid_member",
            KeyError::UnknownKeyAlg => "unknown_key_alg",
            KeyError::AlgConflict { .. } => "key_alg_conflict",
            KeyError::AlgRequired => "key_alg_required",
            KeyError::UseForbidsSignatures => "key_use_forbids_signatures",
            KeyError::UnsupportedKeyType => "unsupported_kty",
        }
    }
}

/// The signature did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("signature does not verify")]
pub struct BadSignature;

fn hmac_algorithm(alg: Algorithm) -> Option<hmac::Algorithm> {
    match alg {
        Algorithm::Hs256 => Some(hmac::HMAC_SHA256),
        Algorithm::Hs384 => Some(hmac::HMAC_SHA384),
        Algorithm::Hs512 => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

fn rsa_signing(alg: Algorithm) -> Option<&'static dyn signature::RsaEncoding> {
    match alg {
        Algorithm::Rs256 => Some(&signature::RSA_PKCS1_SHA256),
        Algorithm::Rs384 => Some(&signature::RSA_PKCS1_SHA384),
        Algorithm::Rs512 => Some(&signature::RSA_PKCS1_SHA512),
        Algorithm::Ps256 => Some(&signature::RSA_PSS_SHA256),
        Algorithm::Ps384 => Some(&signature::RSA_PSS_SHA384),
        Algorithm::Ps512 => Some(&signature::RSA_PSS_SHA512),
        _ => None,
    }
}

fn ecdsa_signing(alg: Algorithm) -> Option<&'static signature::EcdsaSigningAlgorithm> {
    match alg {
        Algorithm::Es256 => Some(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        Algorithm::Es384 => Some(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
        Algorithm::Es512 => Some(&signature::ECDSA_P521_SHA512_FIXED_SIGNING),
        _ => None,
    }
}

fn public_verification(alg: Algorithm) -> Option<&'static dyn signature::VerificationAlgorithm> {
    match alg {
        Algorithm::Hs256 | Algorithm::Hs384 | Algorithm::Hs512 => None,
        Algorithm::Rs256 => Some(&signature::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::Rs384 => Some(&signature::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::Rs512 => Some(&signature::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::Ps256 => Some(&signature::RSA_PSS_2048_8192_SHA256),
        Algorithm::Ps384 => Some(&signature::RSA_PSS_2048_8192_SHA384),
        Algorithm::Ps512 => Some(&signature::RSA_PSS_2048_8192_SHA512),
        // Fixed-width r‖s only: JOSE never uses DER signatures.
        Algorithm::Es256 => Some(&signature::ECDSA_P256_SHA256_FIXED),
        Algorithm::Es384 => Some(&signature::ECDSA_P384_SHA384_FIXED),
        Algorithm::Es512 => Some(&signature::ECDSA_P521_SHA512_FIXED),
        Algorithm::EdDsa => Some(&signature::ED25519),
    }
}

fn hmac_key(alg: Algorithm, secret: &Secret) -> Result<Box<hmac::Key>, KeyError> {
    let hmac_alg = hmac_algorithm(alg).ok_or(KeyError::WrongKeyType {
        alg,
        expected: "a key pair, not a shared secret",
    })?;
    let min = alg.min_secret_bytes().unwrap_or(usize::MAX);
    if secret.len() < min {
        return Err(KeyError::SecretTooShort {
            alg,
            min,
            actual: secret.len(),
        });
    }
    Ok(Box::new(hmac::Key::new(hmac_alg, secret.expose())))
}

fn expected_for(alg: Algorithm) -> &'static str {
    match alg.family() {
        KeyFamily::Hmac => "a shared secret",
        KeyFamily::Rsa => "an RSA key",
        KeyFamily::Ec(crate::alg::Curve::P256) => "an EC key on P-256",
        KeyFamily::Ec(crate::alg::Curve::P384) => "an EC key on P-384",
        KeyFamily::Ec(crate::alg::Curve::P521) => "an EC key on P-521",
        KeyFamily::Ed25519 => "an Ed25519 key",
    }
}

impl SigningKey {
    /// An HMAC signing key; refused when shorter than the hash output.
    pub fn hmac(alg: Algorithm, secret: &Secret) -> Result<SigningKey, KeyError> {
        Ok(SigningKey {
            alg,
            inner: SigningInner::Hmac(hmac_key(alg, secret)?, secret.len()),
        })
    }

    /// A private key from PKCS#8 DER, for an asymmetric algorithm.
    pub fn from_pkcs8(alg: Algorithm, der: &[u8]) -> Result<SigningKey, KeyError> {
        let wrong = KeyError::WrongKeyType {
            alg,
            expected: expected_for(alg),
        };
        let inner = match alg.family() {
            KeyFamily::Hmac => return Err(wrong),
            KeyFamily::Rsa => {
                let key = signature::RsaKeyPair::from_pkcs8(der).map_err(|_| wrong)?;
                let bits = key.public_modulus_len() * 8;
                if bits < MIN_RSA_BITS {
                    return Err(KeyError::RsaTooSmall { bits });
                }
                SigningInner::Rsa(key)
            }
            KeyFamily::Ec(_) => {
                let ecdsa = ecdsa_signing(alg).ok_or(KeyError::Rejected {
                    reason: "no ECDSA parameters",
                })?;
                SigningInner::Ecdsa(EcdsaKeyPair::from_pkcs8(ecdsa, der).map_err(|_| wrong)?)
            }
            KeyFamily::Ed25519 => {
                SigningInner::Ed25519(Ed25519KeyPair::from_pkcs8(der).map_err(|_| wrong)?)
            }
        };
        Ok(SigningKey { alg, inner })
    }

    /// An RSA private key from PKCS#1 `RSAPrivateKey` DER, or an EC private key
    /// from SEC1 `ECPrivateKey` DER, for `alg`.
    pub fn from_der(alg: Algorithm, der: &[u8]) -> Result<SigningKey, KeyError> {
        match alg.family() {
            KeyFamily::Rsa => SigningKey::from_rsa_der(alg, der),
            KeyFamily::Ec(_) => {
                let ecdsa = ecdsa_signing(alg).ok_or(KeyError::Rejected {
                    reason: "no ECDSA parameters",
                })?;
                let key = EcdsaKeyPair::from_private_key_der(ecdsa, der).map_err(|_| {
                    KeyError::WrongKeyType {
                        alg,
                        expected: expected_for(alg),
                    }
                })?;
                Ok(SigningKey::from_ecdsa(alg, key))
            }
            KeyFamily::Hmac | KeyFamily::Ed25519 => Err(KeyError::WrongKeyType {
                alg,
                expected: expected_for(alg),
            }),
        }
    }

    /// An RSA private key from PKCS#1 `RSAPrivateKey` DER.
    pub fn from_rsa_der(alg: Algorithm, der: &[u8]) -> Result<SigningKey, KeyError> {
        if alg.family() != KeyFamily::Rsa {
            return Err(KeyError::WrongKeyType {
                alg,
                expected: expected_for(alg),
            });
        }
        let key = signature::RsaKeyPair::from_der(der).map_err(|_| KeyError::Rejected {
            reason: "the RSA private key is malformed or inconsistent",
        })?;
        let bits = key.public_modulus_len() * 8;
        if bits < MIN_RSA_BITS {
            return Err(KeyError::RsaTooSmall { bits });
        }
        Ok(SigningKey {
            alg,
            inner: SigningInner::Rsa(key),
        })
    }

    /// Wraps a parsed ECDSA key pair (the caller has matched its curve to `alg`).
    pub(crate) fn from_ecdsa(alg: Algorithm, key: EcdsaKeyPair) -> SigningKey {
        SigningKey {
            alg,
            inner: SigningInner::Ecdsa(key),
        }
    }

    /// Wraps a parsed Ed25519 key pair.
    pub(crate) fn from_ed25519(key: Ed25519KeyPair) -> SigningKey {
        SigningKey {
            alg: Algorithm::EdDsa,
            inner: SigningInner::Ed25519(key),
        }
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The length of this key's signatures, in bytes.
    pub fn signature_len(&self) -> usize {
        match (&self.inner, self.alg) {
            (SigningInner::Rsa(key), _) => key.public_modulus_len(),
            // An HMAC tag is as long as the hash output, the minimum secret.
            (SigningInner::Hmac(..), alg) => alg.min_secret_bytes().unwrap_or(64),
            // ECDSA's fixed-width r‖s (RFC 7518 §3.4).
            (_, Algorithm::Es384) => 96,
            (_, Algorithm::Es512) => 132,
            // ES256 and Ed25519.
            _ => 64,
        }
    }

    /// Signs `input` (for JWS, the ASCII `header.payload`).
    pub fn sign(&self, input: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.sign_with(input, <[u8]>::to_vec)
    }

    /// Signs `input` and hands the signature to `use_signature` without
    /// copying it to the heap (except RSA's, whose size is the key's).
    pub fn sign_with<R>(
        &self,
        input: &[u8],
        use_signature: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, KeyError> {
        let failed = KeyError::Crypto { operation: "sign" };
        match &self.inner {
            SigningInner::Hmac(key, _) => Ok(use_signature(hmac::sign(key, input).as_ref())),
            SigningInner::Rsa(key) => {
                let padding = rsa_signing(self.alg).ok_or(failed.clone())?;
                let mut sig = vec![0u8; key.public_modulus_len()];
                key.sign(padding, &SystemRandom::new(), input, &mut sig)
                    .map_err(|_| failed)?;
                Ok(use_signature(&sig))
            }
            SigningInner::Ecdsa(key) => key
                .sign(&SystemRandom::new(), input)
                .map(|sig| use_signature(sig.as_ref()))
                .map_err(|_| failed),
            SigningInner::Ed25519(key) => Ok(use_signature(key.sign(input).as_ref())),
        }
    }

    /// The matching verifying key.
    pub fn verifying_key(&self) -> Result<VerifyingKey, KeyError> {
        match &self.inner {
            SigningInner::Hmac(key, len) => Ok(VerifyingKey {
                alg: self.alg,
                inner: VerifyingInner::Hmac {
                    key: key.clone(),
                    len: *len,
                },
            }),
            SigningInner::Rsa(key) => {
                VerifyingKey::from_public_bytes(self.alg, key.public_key().as_ref())
            }
            SigningInner::Ecdsa(key) => {
                VerifyingKey::from_public_bytes(self.alg, key.public_key().as_ref())
            }
            SigningInner::Ed25519(key) => {
                VerifyingKey::from_public_bytes(self.alg, key.public_key().as_ref())
            }
        }
    }
}

impl VerifyingKey {
    /// An HMAC verifying key; refused when shorter than the hash output.
    pub fn hmac(alg: Algorithm, secret: &Secret) -> Result<VerifyingKey, KeyError> {
        Ok(VerifyingKey {
            alg,
            inner: VerifyingInner::Hmac {
                key: hmac_key(alg, secret)?,
                len: secret.len(),
            },
        })
    }

    /// A public key from X.509 SubjectPublicKeyInfo DER, or the raw forms
    /// (PKCS#1 RSAPublicKey, an uncompressed EC point, 32 Ed25519 bytes).
    pub fn from_public_bytes(alg: Algorithm, der: &[u8]) -> Result<VerifyingKey, KeyError> {
        let verification = public_verification(alg).ok_or(KeyError::WrongKeyType {
            alg,
            expected: "a shared secret, not a public key",
        })?;
        let key = ParsedPublicKey::new(verification, der).map_err(|_| KeyError::WrongKeyType {
            alg,
            expected: expected_for(alg),
        })?;
        Ok(VerifyingKey {
            alg,
            inner: VerifyingInner::Public {
                key,
                raw: der.to_vec(),
            },
        })
    }

    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public key bytes as given (SPKI or raw); empty for HMAC.
    pub fn public_bytes(&self) -> &[u8] {
        match &self.inner {
            VerifyingInner::Hmac { .. } => &[],
            VerifyingInner::Public { raw, .. } => raw,
        }
    }

    /// The HMAC secret's length in bytes, when this is an HMAC key made from a secret.
    pub fn hmac_len(&self) -> Option<usize> {
        match &self.inner {
            VerifyingInner::Hmac { len, .. } => Some(*len),
            VerifyingInner::Public { .. } => None,
        }
    }

    /// Checks `signature` over `input`; constant-time for HMAC.
    pub fn verify(&self, input: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        match &self.inner {
            VerifyingInner::Hmac { key, .. } => {
                hmac::verify(key, input, signature).map_err(|_| BadSignature)
            }
            VerifyingInner::Public { key, .. } => {
                key.verify_sig(input, signature).map_err(|_| BadSignature)
            }
        }
    }
}

/// Generates RSA key material of `bits` (2048, 3072 or 4096) as PKCS#8 DER.
pub(crate) fn generate_rsa_pkcs8(bits: usize) -> Result<zeroize::Zeroizing<Vec<u8>>, KeyError> {
    use aws_lc_rs::encoding::AsDer as _;
    let size = match bits {
        2048 => rsa::KeySize::Rsa2048,
        3072 => rsa::KeySize::Rsa3072,
        4096 => rsa::KeySize::Rsa4096,
        _ if bits < MIN_RSA_BITS => return Err(KeyError::RsaTooSmall { bits }),
        _ => return Err(KeyError::UnsupportedRsaBits { bits }),
    };
    let key = rsa::KeyPair::generate(size).map_err(|_| KeyError::Crypto {
        operation: "generate an RSA key",
    })?;
    let der = key.as_der().map_err(|_| KeyError::Crypto {
        operation: "encode an RSA key",
    })?;
    Ok(zeroize::Zeroizing::new(der.as_ref().to_vec()))
}
