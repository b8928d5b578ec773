//! Asymmetric key pairs: generated from the OS CSPRNG, exported as PKCS#8 and
//! SPKI PEM, as private and public JWKs, and as a JWKS, with RFC 7638 `kid`s.

use std::fmt;

use aws_lc_rs::encoding::{AsBigEndian as _, AsDer as _};
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use zeroize::Zeroizing;

use crate::alg::{Algorithm, KeyFamily};
use crate::der::{self, tag, Reader};
use crate::jwk::{Jwk, JwkSet, PrivateValue};
use crate::pem;
use crate::primitive::{generate_rsa_pkcs8, KeyError, SigningKey, VerifyingKey};

/// The RSA size jwtkeep generates unless told otherwise.
pub const DEFAULT_RSA_BITS: usize = 3072;

/// A private key with everything derived from it, bound to one algorithm.
/// Private material is zeroized on drop and never shown by `Debug`.
pub struct KeyPair {
    alg: Algorithm,
    pkcs8: Zeroizing<Vec<u8>>,
    spki: Vec<u8>,
    jwk: Jwk,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("alg", &self.alg)
            .field("kid", &self.jwk.kid)
            .finish_non_exhaustive()
    }
}

fn b64(bytes: &[u8]) -> String {
    crate::base64url::encode(bytes)
}

fn rejected(reason: &'static str) -> KeyError {
    KeyError::Rejected { reason }
}

impl KeyPair {
    /// Generates a fresh key pair for `alg`. `rsa_bits` applies to RSA only
    /// (2048, 3072 or 4096; below 2048 is refused). `kid` overrides the thumbprint.
    pub fn generate(
        alg: Algorithm,
        rsa_bits: usize,
        kid: Option<String>,
    ) -> Result<KeyPair, KeyError> {
        let failed = |what| KeyError::Crypto { operation: what };
        let pkcs8 = match alg.family() {
            KeyFamily::Hmac => {
                return Err(KeyError::WrongKeyType {
                    alg,
                    expected: "a shared secret: use `gen secret`",
                })
            }
            KeyFamily::Rsa => generate_rsa_pkcs8(rsa_bits)?,
            KeyFamily::Ec(_) => {
                let ecdsa = ecdsa_algorithm(alg)?;
                let key =
                    EcdsaKeyPair::generate(ecdsa).map_err(|_| failed("generate an EC key"))?;
                let doc = key.to_pkcs8v1().map_err(|_| failed("encode an EC key"))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
            KeyFamily::Ed25519 => {
                let key =
                    Ed25519KeyPair::generate().map_err(|_| failed("generate an Ed25519 key"))?;
                let doc = key
                    .to_pkcs8v1()
                    .map_err(|_| failed("encode an Ed25519 key"))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
        };
        KeyPair::from_pkcs8(alg, pkcs8, kid)
    }

    /// Takes a PKCS#8 private key for `alg`, derives its public forms and JWK.
    pub fn from_pkcs8(
        alg: Algorithm,
        pkcs8: Zeroizing<Vec<u8>>,
        kid: Option<String>,
    ) -> Result<KeyPair, KeyError> {
        // Refuses weak or mismatched keys before anything is derived.
        SigningKey::from_pkcs8(alg, &pkcs8)?;
        let encode_failed = KeyError::Crypto {
            operation: "encode a public key",
        };
        let (spki, mut jwk) = match alg.family() {
            KeyFamily::Hmac => {
                return Err(KeyError::WrongKeyType {
                    alg,
                    expected: "a key pair",
                })
            }
            KeyFamily::Rsa => {
                let key = aws_lc_rs::rsa::KeyPair::from_pkcs8(&pkcs8)
                    .map_err(|_| rejected("not an RSA PKCS#8 key"))?;
                let spki = key.public_key().as_der().map_err(|_| encode_failed)?;
                (spki.as_ref().to_vec(), rsa_jwk(&pkcs8)?)
            }
            KeyFamily::Ec(curve) => {
                let key = EcdsaKeyPair::from_pkcs8(ecdsa_algorithm(alg)?, &pkcs8)
                    .map_err(|_| rejected("not an EC PKCS#8 key on this curve"))?;
                let spki = key.public_key().as_der().map_err(|_| encode_failed)?;
                let point = key.public_key().as_ref();
                let len = curve.coordinate_len();
                // An uncompressed point: 0x04 ‖ x ‖ y, each coordinate full length.
                let (x, y) = match point.split_first() {
                    Some((0x04, xy)) if xy.len() == 2 * len => xy.split_at(len),
                    _ => return Err(rejected("unexpected EC public point encoding")),
                };
                let d = key
                    .private_key()
                    .as_be_bytes()
                    .map_err(|_| rejected("EC private scalar unavailable"))?;
                let jwk = Jwk {
                    kty: "EC".to_owned(),
                    crv: Some(curve.jwk_name().to_owned()),
                    x: Some(b64(x)),
                    y: Some(b64(y)),
                    d: Some(PrivateValue::new(b64(d.as_ref()))),
                    ..Jwk::default()
                };
                (spki.as_ref().to_vec(), jwk)
            }
            KeyFamily::Ed25519 => {
                let key = Ed25519KeyPair::from_pkcs8(&pkcs8)
                    .map_err(|_| rejected("not an Ed25519 PKCS#8 key"))?;
                let spki = key.public_key().as_der().map_err(|_| encode_failed)?;
                let seed = key
                    .seed()
                    .and_then(|s| s.as_be_bytes())
                    .map_err(|_| rejected("Ed25519 seed unavailable"))?;
                let jwk = Jwk {
                    kty: "OKP".to_owned(),
                    crv: Some("Ed25519".to_owned()),
                    x: Some(b64(key.public_key().as_ref())),
                    d: Some(PrivateValue::new(b64(seed.as_ref()))),
                    ..Jwk::default()
                };
                (spki.as_ref().to_vec(), jwk)
            }
        };
        jwk.use_ = Some("sig".to_owned());
        jwk.alg = Some(alg.name().to_owned());
        jwk.kid = Some(match kid {
            Some(kid) => kid,
            None => jwk
                .thumbprint()
                .map_err(|_| rejected("incomplete public key"))?,
        });
        Ok(KeyPair {
            alg,
            pkcs8,
            spki,
            jwk,
        })
    }

    /// The algorithm this key pair is bound to.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id: the RFC 7638 thumbprint unless another was given.
    pub fn kid(&self) -> &str {
        self.jwk.kid.as_deref().unwrap_or_default()
    }

    /// The private key as PKCS#8 DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key as X.509 SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The private key as PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    pub fn private_pem(&self) -> Zeroizing<String> {
        pem::encode(pem::PRIVATE_KEY, &self.pkcs8)
    }

    /// The public key as SPKI PEM (`BEGIN PUBLIC KEY`).
    pub fn public_pem(&self) -> String {
        pem::encode(pem::PUBLIC_KEY, &self.spki).to_string()
    }

    /// The private JWK, with `alg`, `use: sig` and `kid`.
    pub fn private_jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The public JWK, with `alg`, `use: sig` and `kid`.
    pub fn public_jwk(&self) -> Jwk {
        self.jwk.to_public()
    }

    /// A JWKS holding this key's public JWK.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.public_jwk()],
        }
    }

    /// A ready signing key.
    pub fn signing_key(&self) -> Result<SigningKey, KeyError> {
        SigningKey::from_pkcs8(self.alg, &self.pkcs8)
    }

    /// A ready verifying key built from the public half alone.
    pub fn verifying_key(&self) -> Result<VerifyingKey, KeyError> {
        VerifyingKey::from_public_bytes(self.alg, &self.spki)
    }
}

fn ecdsa_algorithm(alg: Algorithm) -> Result<&'static signature::EcdsaSigningAlgorithm, KeyError> {
    match alg {
        Algorithm::Es256 => Ok(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        Algorithm::Es384 => Ok(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
        Algorithm::Es512 => Ok(&signature::ECDSA_P521_SHA512_FIXED_SIGNING),
        _ => Err(KeyError::WrongKeyType {
            alg,
            expected: "an EC key",
        }),
    }
}

/// Reads the RSA components out of a PKCS#8 `PrivateKeyInfo` (RFC 5208)
/// wrapping an `RSAPrivateKey` (RFC 8017 A.1.2) into a private JWK.
fn rsa_jwk(pkcs8: &[u8]) -> Result<Jwk, KeyError> {
    let bad = |_| rejected("malformed RSA PKCS#8 structure");
    let mut outer = Reader::new(pkcs8);
    let mut info = Reader::new(outer.read(tag::SEQUENCE).map_err(bad)?);
    outer.finish().map_err(bad)?;
    info.read_unsigned().map_err(bad)?; // version
    let mut algorithm = Reader::new(info.read(tag::SEQUENCE).map_err(bad)?);
    if algorithm.read(tag::OID).map_err(bad)? != der::oid::RSA_ENCRYPTION {
        return Err(rejected("not an RSA key"));
    }
    let mut key = Reader::new(info.read(tag::OCTET_STRING).map_err(bad)?);
    let mut fields = Reader::new(key.read(tag::SEQUENCE).map_err(bad)?);
    key.finish().map_err(bad)?;
    if fields.read_unsigned().map_err(bad)? != [0] {
        return Err(rejected("multi-prime RSA keys are not supported"));
    }
    let mut next = || fields.read_unsigned().map(b64).map_err(bad);
    let (n, e) = (next()?, next()?);
    let mut private = || next().map(|v| Some(PrivateValue::new(v)));
    let jwk = Jwk {
        kty: "RSA".to_owned(),
        n: Some(n),
        e: Some(e),
        d: private()?,
        p: private()?,
        q: private()?,
        dp: private()?,
        dq: private()?,
        qi: private()?,
        ..Jwk::default()
    };
    fields.finish().map_err(bad)?;
    Ok(jwk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::BASE64URL;
    use base64::Engine as _;

    fn round_trip(alg: Algorithm) {
        let pair = KeyPair::generate(alg, 2048, None).unwrap();
        let signer = pair.signing_key().unwrap();
        let verifier = pair.verifying_key().unwrap();
        let sig = signer.sign(b"header.payload").unwrap();
        assert!(verifier.verify(b"header.payload", &sig).is_ok(), "{alg}");
        assert!(verifier.verify(b"header.payloaD", &sig).is_err(), "{alg}");
        let jwk = pair.public_jwk();
        assert_eq!(jwk.kid.as_deref(), Some(pair.kid()));
        assert_eq!(jwk.thumbprint().unwrap(), pair.kid());
        assert!(!jwk.is_private());
        assert!(pair.private_jwk().is_private());
        assert!(pair
            .private_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(pair
            .public_pem()
            .starts_with("-----BEGIN PUBLIC KEY-----\n"));
    }

    #[test]
    fn every_asymmetric_algorithm_generates_a_working_pair() {
        for alg in Algorithm::ALL.into_iter().filter(|a| !a.is_hmac()) {
            round_trip(alg);
        }
    }

    #[test]
    fn rsa_jwk_carries_every_crt_member() {
        let pair = KeyPair::generate(Algorithm::Rs256, 2048, None).unwrap();
        let jwk = pair.private_jwk();
        let n = BASE64URL.decode(jwk.n.as_deref().unwrap()).unwrap();
        assert_eq!(n.len(), 256);
        assert_eq!(jwk.e.as_deref(), Some("AQAB"));
        for member in [&jwk.d, &jwk.p, &jwk.q, &jwk.dp, &jwk.dq, &jwk.qi] {
            assert!(member.is_some());
        }
    }

    #[test]
    fn ec_coordinates_are_full_length() {
        for (alg, len) in [
            (Algorithm::Es256, 32),
            (Algorithm::Es384, 48),
            (Algorithm::Es512, 66),
        ] {
            let pair = KeyPair::generate(alg, 0, None).unwrap();
            let jwk = pair.private_jwk();
            let d = jwk.d.as_ref().map(PrivateValue::expose);
            for member in [jwk.x.as_deref(), jwk.y.as_deref(), d] {
                let bytes = BASE64URL.decode(member.unwrap()).unwrap();
                assert_eq!(bytes.len(), len, "{alg}");
            }
        }
    }

    #[test]
    fn rsa_below_2048_bits_is_refused() {
        assert_eq!(
            KeyPair::generate(Algorithm::Rs256, 1024, None).unwrap_err(),
            KeyError::RsaTooSmall { bits: 1024 }
        );
        assert_eq!(
            KeyPair::generate(Algorithm::Ps256, 5000, None).unwrap_err(),
            KeyError::UnsupportedRsaBits { bits: 5000 }
        );
    }

    #[test]
    fn explicit_kid_replaces_thumbprint() {
        let pair = KeyPair::generate(Algorithm::EdDsa, 0, Some("2026-11".into())).unwrap();
        assert_eq!(pair.kid(), "2026-11");
        assert_eq!(pair.jwks().keys[0].kid.as_deref(), Some("2026-11"));
    }
}
