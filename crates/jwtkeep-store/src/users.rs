//! Users: a unique normalised username and an argon2id password hash.

use std::fmt;

/// Why a username is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsernameError {
    /// Empty after trimming, or over 254 bytes.
    #[error("a username must be 1 to 254 characters")]
    Length,
    /// A character outside `a-z 0-9 . _ - + @`.
    #[error("a username may hold only letters a-z, digits and . _ - + @")]
    Character,
}

/// The one spelling of a username under which it is stored and looked up:
/// trimmed and lower-cased, limited to ASCII letters, digits and `. _ - + @`
/// (enough for e-mail addresses). Refusing the rest of Unicode, rather than
/// normalising it, rules out look-alike names (`pаypal` with a Cyrillic `а`).
pub fn normalise_username(name: &str) -> Result<String, UsernameError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 254 {
        return Err(UsernameError::Length);
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-+@".contains(&b))
    {
        return Err(UsernameError::Character);
    }
    Ok(name.to_ascii_lowercase())
}

/// An argon2id hash in PHC string form (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`)
/// whose parameters meet at least one of OWASP's argon2id configurations.
/// The store refuses anything weaker, so a misconfigured caller cannot lower them.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

/// OWASP's argon2id configurations (memory KiB, iterations), each equally strong.
const OWASP_MINIMUMS: [(u64, u64); 5] = [
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
];

impl PasswordHash {
    /// Checks `phc` and wraps it.
    pub fn new(phc: &str) -> Result<PasswordHash, crate::StoreError> {
        let bad = |why: &str| crate::StoreError::invalid("password hash", why);
        let mut parts = phc.split('$');
        let (Some(""), Some("argon2id"), Some(version), Some(params), Some(salt), Some(hash), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(bad("not an argon2id PHC string"));
        };
        if version != "v=19" {
            return Err(bad("argon2 version must be 19"));
        }
        let (mut m, mut t, mut p) = (0u64, 0u64, 0u64);
        for param in params.split(',') {
            let (name, value) = param
                .split_once('=')
                .ok_or_else(|| bad("malformed parameters"))?;
            let value: u64 = value.parse().map_err(|_| bad("malformed parameters"))?;
            match name {
                "m" => m = value,
                "t" => t = value,
                "p" => p = value,
                _ => return Err(bad("unknown parameter")),
            }
        }
        if p == 0 || !OWASP_MINIMUMS.iter().any(|&(mm, tt)| m >= mm && t >= tt) {
            return Err(bad(
                "parameters are weaker than OWASP's argon2id minimum (m=19456, t=2, p=1)",
            ));
        }
        if salt.len() < 11 || hash.len() < 22 {
            return Err(bad("salt or hash too short"));
        }
        Ok(PasswordHash(phc.to_owned()))
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// A user as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// A stable random id: the `sub` of the user's tokens.
    pub id: String,
    /// The normalised username.
    pub username: String,
    /// The password hash.
    pub password_hash: PasswordHash,
    /// A disabled user cannot log in or refresh.
    pub disabled: bool,
    /// An administrator's access tokens carry the `admin` scope.
    pub admin: bool,
    /// The scopes the user's access tokens may carry (besides `admin`).
    pub scopes: crate::Scopes,
    /// When the user was created.
    pub created_at: i64,
    /// When the user last changed.
    pub updated_at: i64,
}
