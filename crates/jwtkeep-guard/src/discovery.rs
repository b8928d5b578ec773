//! Where an issuer keeps its keys, from its own metadata: the authorization
//! server metadata of RFC 8414 (`/.well-known/oauth-authorization-server`)
//! or OpenID Connect Discovery (`/.well-known/openid-configuration`), as the
//! verifiers of other ecosystems configure themselves from an `issuer-uri`.
//!
//! The metadata must name the configured issuer exactly (RFC 8414 §3.3):
//! a document naming another issuer is refused, so that a misconfigured or
//! hostile host cannot point the guard at keys that are not the issuer's.

use std::time::Duration;

/// Why the issuer's metadata could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// It could not be fetched (network, timeout, an answer other than 200
    /// or 404).
    #[error("the issuer's metadata at {url} could not be read: {reason}")]
    Unreachable {
        /// The document asked for.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// It was read and is not usable.
    #[error("the issuer's metadata at {url} is refused: {reason}")]
    Refused {
        /// The document read.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The largest metadata document read.
const MAX_BYTES: u64 = 64 * 1024;

/// The metadata URLs of `issuer`, in the order asked: RFC 8414's (the
/// well-known segment between the host and the issuer's path), then OpenID
/// Connect's (appended to the issuer).
pub(crate) fn metadata_urls(issuer: &str) -> Vec<String> {
    let issuer = issuer.trim_end_matches('/');
    let after_scheme = issuer.find("://").map_or(0, |i| i + 3);
    let (origin, path) = match issuer.get(after_scheme..).and_then(|rest| rest.find('/')) {
        Some(slash) => issuer.split_at(after_scheme + slash),
        None => (issuer, ""),
    };
    vec![
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{issuer}/.well-known/openid-configuration"),
    ]
}

/// The JWKS URL `issuer`'s metadata names, or `None` when it publishes
/// none (both documents answer 404).
pub fn jwks_uri(issuer: &str, timeout: Duration) -> Result<Option<String>, DiscoveryError> {
    let agent = crate::feed::agent(Some(timeout));
    for url in metadata_urls(issuer) {
        let unreachable = |reason: String| DiscoveryError::Unreachable {
            url: url.clone(),
            reason,
        };
        let refused = |reason: &str| DiscoveryError::Refused {
            url: url.clone(),
            reason: reason.to_owned(),
        };
        let mut response = match agent.get(&url).header("Accept", "application/json").call() {
            Ok(response) => response,
            Err(e) => return Err(unreachable(e.to_string())),
        };
        match response.status().as_u16() {
            200 => {}
            404 | 410 => continue,
            other => return Err(unreachable(format!("answered {other}"))),
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BYTES)
            .read_to_vec()
            .map_err(|e| unreachable(e.to_string()))?;
        let metadata: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| refused("it is not JSON"))?;
        let named = metadata.get("issuer").and_then(serde_json::Value::as_str);
        if named.map(|n| n.trim_end_matches('/')) != Some(issuer.trim_end_matches('/')) {
            return Err(refused("it names another issuer"));
        }
        let jwks = metadata
            .get("jwks_uri")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| refused("it names no jwks_uri"))?;
        if !(jwks.starts_with("https://")
            || (jwks.starts_with("http://") && issuer.starts_with("http://")))
        {
            return Err(refused("its jwks_uri is not an https URL"));
        }
        return Ok(Some(jwks.to_owned()));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_looked_for_where_rfc_8414_and_openid_connect_say() {
        assert_eq!(
            metadata_urls("https://auth.example.com"),
            [
                "https://auth.example.com/.well-known/oauth-authorization-server",
                "https://auth.example.com/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            metadata_urls("https://example.com/tenant/1/"),
            [
                "https://example.com/.well-known/oauth-authorization-server/tenant/1",
                "https://example.com/tenant/1/.well-known/openid-configuration"
            ]
        );
    }
}
