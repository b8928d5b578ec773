//! Why a token was rejected: one variant per check of the verification
//! order, each with a stable code. Its own module, so that the modules that
//! refuse tokens (the JWS splitter, the key ring, the verifier) depend on it
//! and not on each other.

use crate::claims::ClaimTypeError;
use crate::json::JsonError;
use crate::untrusted::Untrusted;

/// Why a token was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Longer than the size limit.
    #[error("token is larger than {max} bytes")]
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// Not three dot-separated segments (or JSON serialization).
    #[error("token is not a compact JWS of three segments")]
    Malformed,
    /// A segment is not canonical unpadded base64url.
    #[error("the {part} is not canonical base64url")]
    InvalidEncoding {
        /// header, payload or signature.
        part: &'static str,
    },
    /// The protected header is not acceptable JSON or has wrong member types.
    #[error("invalid header: {reason}")]
    InvalidHeader {
        /// What is wrong.
        reason: &'static str,
    },
    /// The header repeats a member.
    #[error("invalid header: duplicate member {name}")]
    DuplicateHeaderMember {
        /// The repeated name.
        name: Untrusted,
    },
    /// `alg: none`, in any spelling.
    #[error("alg \"none\" is never accepted")]
    AlgNone,
    /// An algorithm jwtkeep does not support.
    #[error("unsupported algorithm {alg}")]
    UnsupportedAlg {
        /// The name, escaped.
        alg: Untrusted,
    },
    /// A `crit` header: jwtkeep understands no extension.
    #[error("the header lists critical extensions (crit), none of which is supported")]
    CritUnsupported,
    /// `b64: false` (RFC 7797).
    #[error("unencoded payloads (b64: false) are not supported")]
    B64Unsupported,
    /// No `kid`, and the ring needs one.
    #[error("the token names no key (kid), and the key ring needs one")]
    KidRequired,
    /// The `kid` names no key in the ring.
    #[error("the token's kid names no known key")]
    UnknownKid,
    /// The named key is retired.
    #[error("the token's key is retired")]
    KeyRetired,
    /// The header's `alg` is not the key's algorithm.
    #[error("the token's alg does not match the key's algorithm")]
    AlgMismatch,
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// The payload is not a JSON object (or has duplicate members, or is too deep).
    #[error("invalid payload: {reason}")]
    InvalidPayload {
        /// What is wrong.
        reason: String,
    },
    /// A registered claim has the wrong type or range.
    #[error("invalid claim: {0}")]
    InvalidClaim(ClaimTypeError),
    /// A required claim is absent.
    #[error("required claim \"{claim}\" is missing")]
    MissingClaim {
        /// The claim's name.
        claim: String,
    },
    /// `exp` has passed.
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("token is not valid yet (nbf)")]
    NotYetValid,
    /// `iat` is in the future.
    #[error("token was issued in the future (iat)")]
    IssuedInFuture,
    /// `exp` is further from `iat` than the policy allows.
    #[error("token lifetime exceeds the maximum of {max_secs} seconds")]
    LifetimeTooLong {
        /// The policy's maximum.
        max_secs: u64,
    },
    /// `iss` is not the expected issuer.
    #[error("issuer does not match")]
    IssuerMismatch,
    /// No audience matches.
    #[error("audience does not match")]
    AudienceMismatch,
    /// `typ` is not the expected type.
    #[error("token type (typ) does not match")]
    TypeMismatch,
}

impl VerifyError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::TooLarge { .. } => "token_too_large",
            VerifyError::Malformed => "malformed_token",
            VerifyError::InvalidEncoding { .. } => "invalid_encoding",
            VerifyError::InvalidHeader { .. } => "invalid_header",
            VerifyError::DuplicateHeaderMember { .. } => "duplicate_member",
            VerifyError::AlgNone => "alg_none",
            VerifyError::UnsupportedAlg { .. } => "unsupported_alg",
            VerifyError::CritUnsupported => "crit_unsupported",
            VerifyError::B64Unsupported => "b64_unsupported",
            VerifyError::KidRequired => "kid_required",
            VerifyError::UnknownKid => "unknown_kid",
            VerifyError::KeyRetired => "key_retired",
            VerifyError::AlgMismatch => "alg_mismatch",
            VerifyError::BadSignature => "bad_signature",
            VerifyError::InvalidPayload { .. } => "invalid_payload",
            VerifyError::InvalidClaim(_) => "invalid_claim",
            VerifyError::MissingClaim { .. } => "missing_claim",
            VerifyError::Expired => "token_expired",
            VerifyError::NotYetValid => "token_not_yet_valid",
            VerifyError::IssuedInFuture => "issued_in_future",
            VerifyError::LifetimeTooLong { .. } => "lifetime_too_long",
            VerifyError::IssuerMismatch => "issuer_mismatch",
            VerifyError::AudienceMismatch => "audience_mismatch",
            VerifyError::TypeMismatch => "type_mismatch",
        }
    }

    pub(crate) fn from_header_json(e: JsonError) -> VerifyError {
        match e {
            JsonError::DuplicateMember { name } => VerifyError::DuplicateHeaderMember { name },
            JsonError::TooDeep { .. } => VerifyError::InvalidHeader {
                reason: "nested too deeply",
            },
            JsonError::NotObject => VerifyError::InvalidHeader {
                reason: "not a JSON object",
            },
        }
    }
}
