//! OAuth clients: the services allowed to introspect and revoke tokens
//! (RFC 7662, RFC 7009), each with a name and a secret shown once.

use std::fmt;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{digest, SHA256};
use zeroize::Zeroizing;

/// A client's secret as stored: its SHA-256. The secret itself is 256 random
/// bits from the CSPRNG, so a fast hash suffices (nothing to brute-force) and
/// keeps every introspection request cheap; a slow password hash would not
/// add strength here.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecretHash([u8; 32]);

impl ClientSecretHash {
    /// The hash of `secret`.
    pub fn of(secret: &str) -> ClientSecretHash {
        let mut out = [0u8; 32];
        out.copy_from_slice(digest(&SHA256, secret.as_bytes()).as_ref());
        ClientSecretHash(out)
    }

    /// Whether `secret` is the client's, compared in constant time.
    pub fn matches(&self, secret: &str) -> bool {
        let candidate = Zeroizing::new(ClientSecretHash::of(secret).0);
        verify_slices_are_equal(&self.0, candidate.as_slice()).is_ok()
    }

    /// Hex, as stored.
    pub(crate) fn to_hex(&self) -> String {
        jwtkeep_core::encoding::hex_encode(&self.0)
    }

    /// Reads the stored hex form back.
    pub(crate) fn from_hex(text: &str) -> Option<ClientSecretHash> {
        let bytes = jwtkeep_core::encoding::hex_decode(text).ok()?;
        let mut out = [0u8; 32];
        (bytes.len() == 32).then(|| {
            out.copy_from_slice(&bytes);
            ClientSecretHash(out)
        })
    }
}

impl fmt::Debug for ClientSecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecretHash(redacted)")
    }
}

/// A registered client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The normalised name (the HTTP Basic user name).
    pub name: String,
    /// Its secret's hash.
    pub secret_hash: ClientSecretHash,
    /// The scopes its machine tokens may carry (client credentials grant).
    pub scopes: crate::Scopes,
    /// When it was added.
    pub created_at: i64,
}
