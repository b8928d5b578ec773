//! The scope a token is issued with: what was granted (a user's scopes and
//! `admin` for administrators; a client's allowed scopes), narrowed to what
//! the request asks for (RFC 6749 §3.3: a space-delimited list; absent, all
//! of what was granted).

use jwtkeep_store::{is_scope_token, Scopes, ADMIN_SCOPE};

use crate::ApiError;

/// The scopes in a request's `scope`, each well formed; `None` when absent.
/// A malformed list is refused before anything else is looked at, so its
/// answer says nothing about an account.
pub(crate) fn parse_request(requested: Option<&str>) -> Result<Option<Vec<&str>>, ApiError> {
    let Some(text) = requested else {
        return Ok(None);
    };
    let mut scopes: Vec<&str> = text.split(' ').filter(|s| !s.is_empty()).collect();
    if let Some(bad) = scopes.iter().find(|s| !is_scope_token(s)) {
        let shown: String = bad.chars().take(64).collect();
        return Err(ApiError::InvalidScope(format!(
            "{shown:?} is not a scope: scope is a space-separated list of letters, digits and : . _ - /"
        )));
    }
    if scopes.len() > jwtkeep_store::MAX_SCOPES + 1 {
        return Err(ApiError::InvalidScope("too many scopes".to_owned()));
    }
    scopes.sort_unstable();
    scopes.dedup();
    Ok(Some(scopes))
}

/// The scope claim of a token granted `granted` (and `admin` when `admin`),
/// narrowed to `requested` (from [`parse_request`]): 400 `invalid_scope`
/// naming the first scope asked for that was not granted to `whom`.
pub(crate) fn narrow(
    granted: &Scopes,
    admin: bool,
    requested: Option<Vec<&str>>,
    whom: &str,
) -> Result<String, ApiError> {
    let holds = |s: &str| granted.contains(s) || (admin && s == ADMIN_SCOPE);
    let chosen: Vec<&str> = match requested {
        Some(requested) => {
            if let Some(missing) = requested.iter().find(|s| !holds(s)) {
                return Err(ApiError::InvalidScope(format!(
                    "the scope {missing} is not granted to this {whom}; ask an administrator"
                )));
            }
            requested
        }
        None => {
            let mut all: Vec<&str> = granted.iter().collect();
            if admin {
                all.push(ADMIN_SCOPE);
                all.sort_unstable();
            }
            all
        }
    };
    Ok(chosen.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(text: &str) -> Scopes {
        Scopes::parse(text).unwrap_or_default()
    }

    #[test]
    fn absent_is_everything_granted_and_a_subset_is_itself() {
        let granted = scopes("orders:read orders:write");
        assert_eq!(
            narrow(&granted, true, None, "user").ok().as_deref(),
            Some("admin orders:read orders:write")
        );
        let asked = parse_request(Some("orders:read  orders:read"))
            .ok()
            .flatten();
        assert_eq!(
            narrow(&granted, false, asked, "user").ok().as_deref(),
            Some("orders:read")
        );
        let none = parse_request(Some("")).ok().flatten();
        assert_eq!(
            narrow(&granted, false, none, "user").ok().as_deref(),
            Some("")
        );
    }

    #[test]
    fn what_was_not_granted_or_is_malformed_is_refused() {
        let granted = scopes("orders:read");
        for asked in ["admin", "orders:write", "orders:read orders"] {
            let asked = parse_request(Some(asked)).ok().flatten();
            assert!(matches!(
                narrow(&granted, false, asked, "user"),
                Err(ApiError::InvalidScope(_))
            ));
        }
        for bad in ["a\"b", "orders,read", "x\ty"] {
            assert!(matches!(
                parse_request(Some(bad)),
                Err(ApiError::InvalidScope(_))
            ));
        }
    }
}
