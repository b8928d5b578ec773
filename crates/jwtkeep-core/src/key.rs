//! Keys as users hand them over — JWK, PEM (PKCS#8, SPKI, PKCS#1, SEC1) or a raw
//! secret — parsed once into a [`Key`] bound to exactly one algorithm.
//!
//! Weak or invalid keys are refused here, before they can verify anything:
//! HMAC secrets shorter than the hash, RSA under 2048 bits or with an even or
//! small exponent or a padded modulus, EC coordinates of the wrong length or off
//! the curve, Ed25519 small-order or non-canonical points, X25519 keys offered
//! for EdDSA, PEM keys offered for HMAC (the RS/HS confusion), and keys whose
//! `use` or `key_ops` forbid signatures.

use std::fmt;

use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair};
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::alg::{Algorithm, Curve, KeyFamily};
use crate::der::{self, oid, tag, Reader};
use crate::encoding::BASE64URL;
use crate::jwk::{Jwk, PrivateValue};
use crate::keypair::KeyPair;
use crate::pem;
use crate::primitive::{KeyError, SigningKey, VerifyingKey, MIN_RSA_BITS};
use crate::secret::Secret;

/// The smallest RSA public exponent accepted (FIPS 186-5 requires e > 2^16).
pub const MIN_RSA_EXPONENT: u64 = 65_537;

/// A key ready to verify (and, when private, to sign), bound to one algorithm.
pub struct Key {
    alg: Algorithm,
    kid: Option<String>,
    verifying: VerifyingKey,
    signing: Option<SigningKey>,
    /// The public JWK without `kid`/`alg`/`use` (`None` for HMAC secrets).
    public_jwk: Option<Jwk>,
    thumbprint: String,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("private", &self.signing.is_some())
            .finish_non_exhaustive()
    }
}

/// What kind of key material a [`Key`] was made from, for `key inspect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// An HMAC secret.
    Secret,
    /// A private key (which also verifies).
    Private,
    /// A public key.
    Public,
}

fn b64(bytes: &[u8]) -> String {
    BASE64URL.encode(bytes)
}

fn member(value: Option<&str>, name: &'static str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let text = value.ok_or(KeyError::MissingMember { member: name })?;
    BASE64URL
        .decode(text)
        .map(Zeroizing::new)
        .map_err(|_| KeyError::InvalidMember { member: name })
}

fn private_member(
    value: &Option<PrivateValue>,
    name: &'static str,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    member(value.as_ref().map(PrivateValue::expose), name)
}

/// Checks an RSA modulus and exponent (big-endian, as written: no stripping).
fn check_rsa(n: &[u8], e: &[u8]) -> Result<(), KeyError> {
    if n.first() == Some(&0) || e.first() == Some(&0) {
        return Err(KeyError::Weak {
            reason: "the RSA modulus or exponent has a leading zero octet",
        });
    }
    let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
    if bits < MIN_RSA_BITS {
        return Err(KeyError::RsaTooSmall { bits });
    }
    if n.last().is_some_and(|b| b & 1 == 0) {
        return Err(KeyError::Weak {
            reason: "the RSA modulus is even",
        });
    }
    if e.len() > 8 {
        return Err(KeyError::Weak {
            reason: "the RSA public exponent is larger than 64 bits",
        });
    }
    let exponent = e.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    if exponent % 2 == 0 || exponent < MIN_RSA_EXPONENT {
        return Err(KeyError::Weak {
            reason: "the RSA public exponent must be odd and at least 65537",
        });
    }
    Ok(())
}

/// Refuses Ed25519 public keys of small order and non-canonical encodings.
fn check_ed25519_point(x: &[u8]) -> Result<(), KeyError> {
    let Ok(point) = <[u8; 32]>::try_from(x) else {
        return Err(KeyError::InvalidMember { member: "x" });
    };
    // y with the sign bit of x cleared, little-endian.
    let mut y = point;
    y[31] &= 0x7f;
    // p = 2^255 - 19: non-canonical when y >= p.
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    let at_least_p = y.iter().rev().cmp(p.iter().rev()) != std::cmp::Ordering::Less;
    // y of the points of order 1, 2, 4 and 8 (each with either sign of x).
    const SMALL_ORDER_Y: [[u8; 32]; 5] = [
        [0; 32],
        [
            1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0,
        ],
        [
            0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0x7f,
        ],
        [
            0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef,
            0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88,
            0x6d, 0x53, 0xfc, 0x05,
        ],
        [
            0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10,
            0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77,
            0x92, 0xac, 0x03, 0x7a,
        ],
    ];
    if at_least_p || SMALL_ORDER_Y.contains(&y) {
        return Err(KeyError::Weak {
            reason: "the Ed25519 public key is a small-order or non-canonical point",
        });
    }
    Ok(())
}

fn rsa_public_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut fields = Vec::new();
    der::write_unsigned(&mut fields, n);
    der::write_unsigned(&mut fields, e);
    let mut out = Vec::new();
    der::write_tlv(&mut out, tag::SEQUENCE, &fields);
    out
}

fn resolve_alg(declared: Option<&str>, asked: Option<Algorithm>) -> Result<Algorithm, KeyError> {
    let declared = match declared {
        Some(name) => Some(Algorithm::from_jose_name(name).ok_or(KeyError::UnknownKeyAlg)?),
        None => None,
    };
    match (declared, asked) {
        (Some(d), Some(a)) if d != a => Err(KeyError::AlgConflict { key: d, asked: a }),
        (Some(d), _) => Ok(d),
        (None, Some(a)) => Ok(a),
        (None, None) => Err(KeyError::AlgRequired),
    }
}

fn check_use(jwk: &Jwk) -> Result<(), KeyError> {
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err(KeyError::UseForbidsSignatures);
    }
    if let Some(ops) = &jwk.key_ops {
        if !ops.iter().any(|o| o == "verify" || o == "sign") {
            return Err(KeyError::UseForbidsSignatures);
        }
    }
    Ok(())
}

fn wrong_family(alg: Algorithm) -> KeyError {
    KeyError::WrongKeyType {
        alg,
        expected: match alg.family() {
            KeyFamily::Hmac => "a shared secret (kty oct)",
            KeyFamily::Rsa => "an RSA key",
            KeyFamily::Ec(Curve::P256) => "an EC key on P-256",
            KeyFamily::Ec(Curve::P384) => "an EC key on P-384",
            KeyFamily::Ec(Curve::P521) => "an EC key on P-521",
            KeyFamily::Ed25519 => "an Ed25519 key (kty OKP, crv Ed25519)",
        },
    }
}

fn ecdsa_signing(curve: Curve) -> &'static signature::EcdsaSigningAlgorithm {
    match curve {
        Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
    }
}

impl Key {
    /// An HMAC key from raw secret bytes.
    pub fn from_secret(
        secret: &Secret,
        alg: Algorithm,
        kid: Option<String>,
    ) -> Result<Key, KeyError> {
        if !alg.is_hmac() {
            return Err(wrong_family(alg));
        }
        let signing = SigningKey::hmac(alg, secret)?;
        let verifying = VerifyingKey::hmac(alg, secret)?;
        // No thumbprint for a secret: a published hash of a possibly weak
        // secret is an offline guessing oracle.
        Ok(Key {
            alg,
            kid,
            verifying,
            signing: Some(signing),
            public_jwk: None,
            thumbprint: String::new(),
        })
    }

    /// A key from a JWK. The algorithm is the JWK's `alg`; `alg` may confirm it
    /// (a conflict is refused) and is required when the JWK has none.
    pub fn from_jwk(jwk: &Jwk, alg: Option<Algorithm>) -> Result<Key, KeyError> {
        check_use(jwk)?;
        let alg = resolve_alg(jwk.alg.as_deref(), alg)?;
        let kid = jwk.kid.clone();
        let thumbprint = jwk.thumbprint().map_err(|_| KeyError::MissingMember {
            member: "kty members",
        })?;
        match (jwk.kty.as_str(), alg.family()) {
            ("oct", KeyFamily::Hmac) => {
                let secret = Secret::from_bytes(private_member(&jwk.k, "k")?);
                Key::from_secret(&secret, alg, kid)
            }
            ("RSA", KeyFamily::Rsa) => {
                let n = member(jwk.n.as_deref(), "n")?;
                let e = member(jwk.e.as_deref(), "e")?;
                check_rsa(&n, &e)?;
                let public = rsa_public_der(&n, &e);
                let verifying = VerifyingKey::from_public_bytes(alg, &public)?;
                let signing = if jwk.d.is_some() {
                    let mut fields = Zeroizing::new(Vec::new());
                    der::write_unsigned(&mut fields, &[0]);
                    der::write_unsigned(&mut fields, &n);
                    der::write_unsigned(&mut fields, &e);
                    for (value, name) in [
                        (&jwk.d, "d"),
                        (&jwk.p, "p"),
                        (&jwk.q, "q"),
                        (&jwk.dp, "dp"),
                        (&jwk.dq, "dq"),
                        (&jwk.qi, "qi"),
                    ] {
                        der::write_unsigned(&mut fields, &private_member(value, name)?);
                    }
                    let mut pkcs1 = Zeroizing::new(Vec::new());
                    der::write_tlv(&mut pkcs1, tag::SEQUENCE, &fields);
                    Some(SigningKey::from_rsa_der(alg, &pkcs1)?)
                } else {
                    None
                };
                Ok(Key {
                    alg,
                    kid,
                    verifying,
                    signing,
                    public_jwk: Some(jwk.to_public()),
                    thumbprint,
                })
            }
            ("EC", KeyFamily::Ec(curve)) => {
                if jwk.crv.as_deref() != Some(curve.jwk_name()) {
                    return Err(wrong_family(alg));
                }
                let len = curve.coordinate_len();
                let x = member(jwk.x.as_deref(), "x")?;
                let y = member(jwk.y.as_deref(), "y")?;
                if x.len() != len || y.len() != len {
                    return Err(KeyError::Weak {
                        reason: "EC coordinates must be exactly the curve's length",
                    });
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                let verifying = VerifyingKey::from_public_bytes(alg, &point)?;
                let signing = match &jwk.d {
                    Some(_) => {
                        let d = private_member(&jwk.d, "d")?;
                        if d.len() != len {
                            return Err(KeyError::InvalidMember { member: "d" });
                        }
                        let pair = EcdsaKeyPair::from_private_key_and_public_key(
                            ecdsa_signing(curve),
                            &d,
                            &point,
                        )
                        .map_err(|_| KeyError::Rejected {
                            reason: "the EC private key does not match its public point",
                        })?;
                        Some(SigningKey::from_ecdsa(alg, pair))
                    }
                    None => None,
                };
                Ok(Key {
                    alg,
                    kid,
                    verifying,
                    signing,
                    public_jwk: Some(jwk.to_public()),
                    thumbprint,
                })
            }
            ("OKP", KeyFamily::Ed25519) => {
                match jwk.crv.as_deref() {
                    Some("Ed25519") => {}
                    Some("X25519" | "X448") => {
                        return Err(KeyError::Rejected {
                            reason: "an X25519/X448 key is for key agreement, not EdDSA signatures",
                        })
                    }
                    _ => return Err(wrong_family(alg)),
                }
                let x = member(jwk.x.as_deref(), "x")?;
                check_ed25519_point(&x)?;
                let verifying = VerifyingKey::from_public_bytes(alg, &x)?;
                let signing = match &jwk.d {
                    Some(_) => {
                        let d = private_member(&jwk.d, "d")?;
                        let pair =
                            Ed25519KeyPair::from_seed_and_public_key(&d, &x).map_err(|_| {
                                KeyError::Rejected {
                                    reason: "the Ed25519 private key does not match its public key",
                                }
                            })?;
                        Some(SigningKey::from_ed25519(pair))
                    }
                    None => None,
                };
                Ok(Key {
                    alg,
                    kid,
                    verifying,
                    signing,
                    public_jwk: Some(jwk.to_public()),
                    thumbprint,
                })
            }
            ("oct" | "RSA" | "EC" | "OKP", _) => Err(wrong_family(alg)),
            _ => Err(KeyError::UnsupportedKeyType),
        }
    }

    /// A key from PEM text: PKCS#8 (`PRIVATE KEY`), SPKI (`PUBLIC KEY`), PKCS#1
    /// (`RSA PRIVATE KEY`, `RSA PUBLIC KEY`) or SEC1 (`EC PRIVATE KEY`).
    /// HMAC algorithms never take a PEM key: that is the RS/HS confusion attack.
    pub fn from_pem(text: &str, alg: Algorithm, kid: Option<String>) -> Result<Key, KeyError> {
        if alg.is_hmac() {
            return Err(KeyError::WrongKeyType {
                alg,
                expected: "a shared secret, never a PEM key (that is the RS/HS confusion attack)",
            });
        }
        let (label, der) = pem::decode(text).map_err(|_| KeyError::Rejected {
            reason: "not a PEM block",
        })?;
        match label.as_str() {
            pem::PRIVATE_KEY => {
                let pair = KeyPair::from_pkcs8(alg, der, kid.clone())?;
                let mut key = Key::from_jwk(pair.private_jwk(), Some(alg))?;
                key.kid = kid;
                Ok(key)
            }
            "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                let signing = SigningKey::from_der(alg, &der)?;
                let verifying = signing.verifying_key()?;
                let public_jwk = public_jwk_from_raw(alg, verifying.public_bytes())?;
                let thumbprint = public_jwk.thumbprint().unwrap_or_default();
                Ok(Key {
                    alg,
                    kid,
                    verifying,
                    signing: Some(signing),
                    public_jwk: Some(public_jwk),
                    thumbprint,
                })
            }
            pem::PUBLIC_KEY | "RSA PUBLIC KEY" => {
                let public_jwk = if label == pem::PUBLIC_KEY {
                    public_jwk_from_spki(alg, &der)?
                } else {
                    public_jwk_from_raw(alg, &der)?
                };
                let key = Key::from_jwk(&public_jwk, Some(alg))?;
                Ok(Key { kid, ..key })
            }
            _ => Err(KeyError::Rejected {
                reason: "unsupported PEM label; expected PRIVATE KEY, PUBLIC KEY, RSA PRIVATE KEY, RSA PUBLIC KEY or EC PRIVATE KEY",
            }),
        }
    }

    /// The algorithm this key is bound to.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id given with the key, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Replaces the key id.
    pub fn with_kid(mut self, kid: Option<String>) -> Key {
        self.kid = kid;
        self
    }

    /// The RFC 7638 thumbprint of the key; empty for HMAC secrets, whose
    /// thumbprint would let anyone test guesses of the secret offline.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// What the key was made from.
    pub fn kind(&self) -> KeyKind {
        match (&self.public_jwk, &self.signing) {
            (None, _) => KeyKind::Secret,
            (Some(_), Some(_)) => KeyKind::Private,
            (Some(_), None) => KeyKind::Public,
        }
    }

    /// Key size in bits: the modulus for RSA, the curve for EC and Ed25519, the secret for HMAC.
    pub fn bits(&self) -> usize {
        match self.alg.family() {
            KeyFamily::Rsa => self.rsa_bits(),
            KeyFamily::Ec(Curve::P256) => 256,
            KeyFamily::Ec(Curve::P384) => 384,
            KeyFamily::Ec(Curve::P521) => 521,
            KeyFamily::Ed25519 => 256,
            KeyFamily::Hmac => self.verifying.hmac_len().unwrap_or(0) * 8,
        }
    }

    fn rsa_bits(&self) -> usize {
        self.public_jwk
            .as_ref()
            .and_then(|j| j.n.as_deref())
            .and_then(|n| BASE64URL.decode(n).ok())
            .map_or(0, |n| {
                n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize)
            })
    }

    /// The public JWK with `kid`, `alg` and `use: sig` (`None` for HMAC secrets).
    pub fn public_jwk(&self) -> Option<Jwk> {
        self.public_jwk.as_ref().map(|jwk| {
            let mut public = jwk.to_public();
            public.kid = self.kid.clone().or_else(|| Some(self.thumbprint.clone()));
            public.alg = Some(self.alg.name().to_owned());
            public.use_ = Some("sig".to_owned());
            public.key_ops = None;
            public
        })
    }

    /// The verifying half.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// The signing half, when the key is private or a secret.
    pub fn signing_key(&self) -> Option<&SigningKey> {
        self.signing.as_ref()
    }
}

/// A public JWK from raw public bytes (PKCS#1 RSAPublicKey, an uncompressed EC point, 32 Ed25519 bytes).
fn public_jwk_from_raw(alg: Algorithm, raw: &[u8]) -> Result<Jwk, KeyError> {
    let bad = KeyError::Rejected {
        reason: "malformed public key",
    };
    match alg.family() {
        KeyFamily::Hmac => Err(wrong_family(alg)),
        KeyFamily::Rsa => {
            let mut outer = Reader::new(raw);
            let mut fields = Reader::new(outer.read(tag::SEQUENCE).map_err(|_| bad.clone())?);
            outer.finish().map_err(|_| bad.clone())?;
            let n = fields.read_unsigned().map_err(|_| bad.clone())?;
            let e = fields.read_unsigned().map_err(|_| bad.clone())?;
            fields.finish().map_err(|_| bad)?;
            Ok(Jwk {
                kty: "RSA".to_owned(),
                n: Some(b64(n)),
                e: Some(b64(e)),
                ..Jwk::default()
            })
        }
        KeyFamily::Ec(curve) => {
            let len = curve.coordinate_len();
            let (x, y) = match raw.split_first() {
                Some((0x04, xy)) if xy.len() == 2 * len => xy.split_at(len),
                _ => return Err(wrong_family(alg)),
            };
            Ok(Jwk {
                kty: "EC".to_owned(),
                crv: Some(curve.jwk_name().to_owned()),
                x: Some(b64(x)),
                y: Some(b64(y)),
                ..Jwk::default()
            })
        }
        KeyFamily::Ed25519 => Ok(Jwk {
            kty: "OKP".to_owned(),
            crv: Some("Ed25519".to_owned()),
            x: Some(b64(raw)),
            ..Jwk::default()
        }),
    }
}

/// A public JWK from X.509 SubjectPublicKeyInfo DER, checking the key type
/// against the algorithm.
fn public_jwk_from_spki(alg: Algorithm, spki: &[u8]) -> Result<Jwk, KeyError> {
    let bad = |_| KeyError::Rejected {
        reason: "malformed SubjectPublicKeyInfo",
    };
    let mut outer = Reader::new(spki);
    let mut info = Reader::new(outer.read(tag::SEQUENCE).map_err(bad)?);
    outer.finish().map_err(bad)?;
    let mut algorithm = Reader::new(info.read(tag::SEQUENCE).map_err(bad)?);
    let key_oid = algorithm.read(tag::OID).map_err(bad)?;
    let bits = info.read(tag::BIT_STRING).map_err(bad)?;
    info.finish().map_err(bad)?;
    let Some((0, raw)) = bits.split_first() else {
        return Err(bad(der::DerError));
    };
    let family_ok = match (alg.family(), key_oid) {
        (KeyFamily::Rsa, o) if o == oid::RSA_ENCRYPTION => true,
        (KeyFamily::Ec(curve), o) if o == oid::EC_PUBLIC_KEY => {
            let curve_oid = algorithm.read(tag::OID).map_err(bad)?;
            curve_oid
                == match curve {
                    Curve::P256 => oid::P256,
                    Curve::P384 => oid::P384,
                    Curve::P521 => oid::P521,
                }
        }
        (KeyFamily::Ed25519, o) if o == oid::X25519 => {
            return Err(KeyError::Rejected {
                reason: "an X25519 key is for key agreement, not EdDSA signatures",
            })
        }
        (KeyFamily::Ed25519, o) => o == oid::ED25519,
        _ => false,
    };
    if !family_ok {
        return Err(wrong_family(alg));
    }
    public_jwk_from_raw(alg, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_never_takes_a_pem_key() {
        let pair = KeyPair::generate(Algorithm::Rs256, 2048, None).unwrap();
        for pem in [pair.public_pem(), pair.public_pem().trim_end().to_owned()] {
            let err = Key::from_pem(&pem, Algorithm::Hs256, None).unwrap_err();
            assert_eq!(err.code(), "wrong_key_type");
        }
    }

    #[test]
    fn pem_and_jwk_forms_of_a_key_agree() {
        for alg in [Algorithm::Rs256, Algorithm::Es384, Algorithm::EdDsa] {
            let pair = KeyPair::generate(alg, 2048, None).unwrap();
            let private = Key::from_pem(&pair.private_pem(), alg, None).unwrap();
            let public = Key::from_pem(&pair.public_pem(), alg, None).unwrap();
            let jwk = Key::from_jwk(&pair.public_jwk(), None).unwrap();
            assert_eq!(private.kind(), KeyKind::Private);
            assert_eq!(public.kind(), KeyKind::Public);
            assert_eq!(private.thumbprint(), pair.kid());
            assert_eq!(public.thumbprint(), pair.kid());
            assert_eq!(jwk.thumbprint(), pair.kid());
            let sig = private.signing_key().unwrap().sign(b"input").unwrap();
            assert!(public.verifying_key().verify(b"input", &sig).is_ok());
            assert!(jwk.verifying_key().verify(b"input", &sig).is_ok());
        }
    }

    #[test]
    fn jwk_alg_must_agree_with_the_asked_alg_and_is_required() {
        let pair = KeyPair::generate(Algorithm::Es256, 0, None).unwrap();
        let mut jwk = pair.public_jwk();
        assert_eq!(
            Key::from_jwk(&jwk, Some(Algorithm::Es384)).unwrap_err(),
            KeyError::AlgConflict {
                key: Algorithm::Es256,
                asked: Algorithm::Es384
            }
        );
        jwk.alg = None;
        assert_eq!(
            Key::from_jwk(&jwk, None).unwrap_err(),
            KeyError::AlgRequired
        );
        assert!(Key::from_jwk(&jwk, Some(Algorithm::Es256)).is_ok());
        assert_eq!(
            Key::from_jwk(&jwk, Some(Algorithm::Es384))
                .unwrap_err()
                .code(),
            "wrong_key_type"
        );
    }

    #[test]
    fn weak_rsa_keys_are_refused() {
        let pair = KeyPair::generate(Algorithm::Rs256, 2048, None).unwrap();
        let good = pair.public_jwk();
        let mut small_e = good.clone();
        small_e.e = Some(b64(&[3]));
        assert_eq!(
            Key::from_jwk(&small_e, None).unwrap_err().code(),
            "weak_key"
        );
        let mut even_e = good.clone();
        even_e.e = Some(b64(&[1, 0, 2]));
        assert_eq!(Key::from_jwk(&even_e, None).unwrap_err().code(), "weak_key");
        let mut padded = good.clone();
        let mut n = BASE64URL.decode(good.n.as_deref().unwrap()).unwrap();
        n.insert(0, 0);
        padded.n = Some(b64(&n));
        assert_eq!(Key::from_jwk(&padded, None).unwrap_err().code(), "weak_key");
        let mut short = good;
        short.n = Some(b64(&[0xc5; 128]));
        assert_eq!(
            Key::from_jwk(&short, None).unwrap_err(),
            KeyError::RsaTooSmall { bits: 1024 }
        );
    }

    #[test]
    fn ed25519_small_order_points_and_x25519_are_refused() {
        let mut jwk = KeyPair::generate(Algorithm::EdDsa, 0, None)
            .unwrap()
            .public_jwk();
        for point in [[0u8; 32], {
            let mut p = [0u8; 32];
            p[0] = 1;
            p
        }] {
            jwk.x = Some(b64(&point));
            assert_eq!(Key::from_jwk(&jwk, None).unwrap_err().code(), "weak_key");
        }
        jwk.crv = Some("X25519".into());
        assert_eq!(
            Key::from_jwk(&jwk, None).unwrap_err().code(),
            "key_rejected"
        );
    }

    #[test]
    fn ec_coordinates_must_be_full_length_and_on_the_curve() {
        let good = KeyPair::generate(Algorithm::Es256, 0, None)
            .unwrap()
            .public_jwk();
        let mut short = good.clone();
        let x = BASE64URL.decode(good.x.as_deref().unwrap()).unwrap();
        short.x = Some(b64(&x[1..]));
        assert_eq!(Key::from_jwk(&short, None).unwrap_err().code(), "weak_key");
        let mut off_curve = good;
        let mut y = BASE64URL.decode(off_curve.y.as_deref().unwrap()).unwrap();
        y[31] ^= 1;
        off_curve.y = Some(b64(&y));
        assert!(Key::from_jwk(&off_curve, None).is_err());
    }

    #[test]
    fn use_and_key_ops_must_allow_signatures() {
        let mut jwk = KeyPair::generate(Algorithm::Es256, 0, None)
            .unwrap()
            .public_jwk();
        jwk.use_ = Some("enc".into());
        assert_eq!(
            Key::from_jwk(&jwk, None).unwrap_err().code(),
            "key_use_forbids_signatures"
        );
        jwk.use_ = None;
        jwk.key_ops = Some(vec!["encrypt".into()]);
        assert_eq!(
            Key::from_jwk(&jwk, None).unwrap_err().code(),
            "key_use_forbids_signatures"
        );
    }

    #[test]
    fn short_hmac_jwk_is_refused() {
        let jwk = Jwk::symmetric(&[1u8; 16], Algorithm::Hs256, None);
        assert_eq!(
            Key::from_jwk(&jwk, None).unwrap_err().code(),
            "secret_too_short"
        );
    }
}
