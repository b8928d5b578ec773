//! The JWS algorithms jwtkeep knows, and what each one demands of its key.
//!
//! There is deliberately no `none`: an unsigned token is not a token here.

use std::fmt;
use std::str::FromStr;

/// A JWS signing algorithm (RFC 7518 §3, RFC 8037).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// HMAC with SHA-256.
    Hs256,
    /// HMAC with SHA-384.
    Hs384,
    /// HMAC with SHA-512.
    Hs512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384 and MGF1 with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512 and MGF1 with SHA-512.
    Ps512,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// ECDSA on P-384 with SHA-384.
    Es384,
    /// ECDSA on P-521 with SHA-512.
    Es512,
    /// EdDSA on Ed25519.
    EdDsa,
}

/// The kind of key an algorithm needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyFamily {
    /// A shared symmetric secret (`kty: oct`).
    Hmac,
    /// An RSA key pair (`kty: RSA`).
    Rsa,
    /// An elliptic-curve key pair on a NIST curve (`kty: EC`).
    Ec(Curve),
    /// An Edwards-curve key pair (`kty: OKP`, `crv: Ed25519`).
    Ed25519,
}

/// A NIST elliptic curve as named in JWK (`crv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Curve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
    /// NIST P-521.
    P521,
}

impl Curve {
    /// The JWK `crv` name.
    pub fn jwk_name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    /// Length in bytes of a coordinate or of the private scalar.
    pub fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }
}

impl Algorithm {
    /// Every algorithm, in the order they are listed to users.
    pub const ALL: [Algorithm; 13] = [
        Algorithm::Hs256,
        Algorithm::Hs384,
        Algorithm::Hs512,
        Algorithm::Rs256,
        Algorithm::Rs384,
        Algorithm::Rs512,
        Algorithm::Ps256,
        Algorithm::Ps384,
        Algorithm::Ps512,
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::Es512,
        Algorithm::EdDsa,
    ];

    /// The HMAC algorithms, for secret generation.
    pub const HMAC: [Algorithm; 3] = [Algorithm::Hs256, Algorithm::Hs384, Algorithm::Hs512];

    /// The registered JOSE name (`alg` header value).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Hs256 => "HS256",
            Algorithm::Hs384 => "HS384",
            Algorithm::Hs512 => "HS512",
            Algorithm::Rs256 => "RS256",
            Algorithm::Rs384 => "RS384",
            Algorithm::Rs512 => "RS512",
            Algorithm::Ps256 => "PS256",
            Algorithm::Ps384 => "PS384",
            Algorithm::Ps512 => "PS512",
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::Es512 => "ES512",
            Algorithm::EdDsa => "EdDSA",
        }
    }

    /// Looks up an algorithm by its exact JOSE name, as a token header must spell it.
    pub fn from_jose_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// The kind of key this algorithm needs.
    pub fn family(self) -> KeyFamily {
        match self {
            Algorithm::Hs256 | Algorithm::Hs384 | Algorithm::Hs512 => KeyFamily::Hmac,
            Algorithm::Rs256
            | Algorithm::Rs384
            | Algorithm::Rs512
            | Algorithm::Ps256
            | Algorithm::Ps384
            | Algorithm::Ps512 => KeyFamily::Rsa,
            Algorithm::Es256 => KeyFamily::Ec(Curve::P256),
            Algorithm::Es384 => KeyFamily::Ec(Curve::P384),
            Algorithm::Es512 => KeyFamily::Ec(Curve::P521),
            Algorithm::EdDsa => KeyFamily::Ed25519,
        }
    }

    /// Whether this is an HMAC (shared secret) algorithm.
    pub fn is_hmac(self) -> bool {
        self.family() == KeyFamily::Hmac
    }

    /// The smallest HMAC key this algorithm accepts, in bytes: the hash output
    /// length (RFC 7518 §3.2). `None` for asymmetric algorithms.
    pub fn min_secret_bytes(self) -> Option<usize> {
        match self {
            Algorithm::Hs256 => Some(32),
            Algorithm::Hs384 => Some(48),
            Algorithm::Hs512 => Some(64),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an algorithm name was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AlgorithmError {
    /// `none` (in any spelling) names no signature at all and is never accepted.
    #[error("alg \"none\" means an unsigned token and is never accepted")]
    None,
    /// The name is not a JWS algorithm jwtkeep supports.
    #[error("unknown algorithm; expected one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA")]
    Unknown,
}

impl AlgorithmError {
    /// A stable snake_case code for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            AlgorithmError::None => "alg_none",
            AlgorithmError::Unknown => "unknown_alg",
        }
    }
}

impl FromStr for Algorithm {
    type Err = AlgorithmError;

    /// Parses a name as a person types it: case does not matter (`hs256`, `eddsa`).
    /// Token headers use [`Algorithm::from_jose_name`] instead, which is exact.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if trimmed.eq_ignore_ascii_case("none") {
            return Err(AlgorithmError::None);
        }
        Algorithm::ALL
            .into_iter()
            .find(|alg| alg.name().eq_ignore_ascii_case(trimmed))
            .ok_or(AlgorithmError::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_exactly() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_jose_name(alg.name()), Some(alg));
            assert_eq!(alg.name().parse::<Algorithm>(), Ok(alg));
        }
    }

    #[test]
    fn jose_names_are_case_sensitive() {
        assert_eq!(Algorithm::from_jose_name("hs256"), None);
        assert_eq!(Algorithm::from_jose_name("EDDSA"), None);
        assert_eq!("eddsa".parse::<Algorithm>(), Ok(Algorithm::EdDsa));
    }

    #[test]
    fn none_is_refused_in_every_spelling() {
        for s in ["none", "None", "NONE", "nOnE", " none "] {
            assert_eq!(s.parse::<Algorithm>(), Err(AlgorithmError::None));
            assert_eq!(Algorithm::from_jose_name(s), None);
        }
    }

    #[test]
    fn hmac_minimums_follow_hash_output() {
        assert_eq!(Algorithm::Hs256.min_secret_bytes(), Some(32));
        assert_eq!(Algorithm::Hs384.min_secret_bytes(), Some(48));
        assert_eq!(Algorithm::Hs512.min_secret_bytes(), Some(64));
        assert_eq!(Algorithm::Es256.min_secret_bytes(), None);
    }
}
