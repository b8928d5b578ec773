//! The endpoint probe: the known JWT attacks, sent to an endpoint the user
//! owns, each built from the user's own valid token.
//!
//! It learns what success looks like from the valid token (and what refusal
//! looks like from no token and a corrupted one), then sends each attack and
//! reports those answered like success. It sends only to the URL it is given,
//! follows no redirects, and stops at a request budget, at a bounded rate.

mod forge;
mod http;

use std::time::Duration;

use jwtkeep_core::{Algorithm, JwkSet, SigningKey};

use crate::weak_secret::{HmacTarget, Progress, Search};

pub use forge::{Attack, ForgeError, Forged, Parts};
pub use http::{fetch_jwks, HttpError};

/// How to probe.
#[derive(Debug)]
pub struct ProbeOptions<'k> {
    /// The endpoint.
    pub url: String,
    /// `GET` or `POST` (with an empty body).
    pub method: Method,
    /// The header that carries the token; `None` for `Authorization: Bearer`.
    pub header: Option<String>,
    /// The status that means success; by default the valid token's.
    pub expect_status: Option<u16>,
    /// At most this many requests in all.
    pub max_requests: usize,
    /// At least this long between two requests.
    pub interval: Duration,
    /// The endpoint's public keys, for the RS/HS confusion attack.
    pub jwks: Option<JwkSet>,
    /// The real signing key, for the expiry attacks (found weak HMAC secrets
    /// serve too).
    pub signing_key: Option<&'k SigningKey>,
    /// The current time, for the expiry attacks.
    pub now: i64,
}

/// The request method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST with an empty body.
    Post,
}

/// One attack sent, and what came back.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The attack.
    pub attack: Attack,
    /// What exactly was varied.
    pub variant: String,
    /// The status, or `None` when the request failed (`error` says why).
    pub status: Option<u16>,
    /// Whether the endpoint answered as it answers the valid token.
    pub accepted: bool,
    /// Why no status came back.
    pub error: Option<String>,
}

/// An attack that was not sent, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// The attack.
    pub attack: Attack,
    /// Why.
    pub reason: String,
}

/// What the probe found.
#[derive(Debug, Clone)]
pub struct ProbeReport {
    /// The valid token's status.
    pub valid_status: u16,
    /// The status without a token.
    pub no_token_status: u16,
    /// Each attack sent.
    pub attempts: Vec<Attempt>,
    /// Attacks not sent.
    pub skipped: Vec<Skipped>,
    /// Requests sent in all.
    pub requests: usize,
    /// Times the endpoint fetched a URL that a token's header named (jku/x5u):
    /// it follows attacker-chosen URLs even where it then refused.
    pub header_urls_fetched: usize,
    /// Where the HMAC secret was found, when the token's secret is weak.
    pub weak_secret: Option<&'static str>,
}

impl ProbeReport {
    /// The attacks the endpoint accepted.
    pub fn accepted(&self) -> impl Iterator<Item = &Attempt> {
        self.attempts.iter().filter(|a| a.accepted)
    }
}

/// Why the probe could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The token is not a compact JWT.
    #[error("{0}")]
    Token(#[from] ForgeError),
    /// A request failed before any answer.
    #[error("{0}")]
    Http(#[from] HttpError),
    /// The valid token is not answered with success.
    #[error("the endpoint answers the valid token with status {0}: give a token it accepts, or --expect-status with the status that means success")]
    ValidRefused(u16),
    /// Without a token the endpoint answers as with one.
    #[error("the endpoint answers status {0} without any token, as it does with one: probe an endpoint that requires a token")]
    NoTokenNeeded(u16),
    /// The budget cannot even cover the baseline.
    #[error("--max-requests {0} is too few: the probe needs at least 3 requests to learn the endpoint's answers")]
    Budget(usize),
}

impl ProbeError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            ProbeError::Token(_) => "token_malformed",
            ProbeError::Http(_) => "request_failed",
            ProbeError::ValidRefused(_) => "valid_token_refused",
            ProbeError::NoTokenNeeded(_) => "no_token_needed",
            ProbeError::Budget(_) => "budget_too_small",
        }
    }
}

/// The HMAC secret of `token` when it is empty or on the bundled list.
fn weak_hmac_secret(token: &str) -> Option<(Algorithm, Vec<u8>, &'static str)> {
    let target = HmacTarget::from_token(token).ok()?;
    let progress = Progress::new();
    let search = Search::new(&target, Search::all_cores(), &progress);
    let found = search.empty().or_else(|| search.bundled())?;
    Some((target.alg(), found.secret.to_vec(), found.source.name()))
}

/// Every attack token for `token`, and the attacks that cannot be built.
fn attacks(
    parts: &Parts,
    token: &str,
    options: &ProbeOptions<'_>,
    urls: (&str, &str),
) -> (Vec<Forged>, Vec<Skipped>, Option<&'static str>, String) {
    let mut forged = forge::keyless(parts);
    let mut skipped = Vec::new();
    match &options.jwks {
        Some(jwks) => forged.extend(forge::confusion(parts, jwks)),
        None => skipped.push(Skipped {
            attack: Attack::HsConfusion,
            reason: "needs the endpoint's public keys: pass --jwks URL or FILE".to_owned(),
        }),
    }
    let weak = weak_hmac_secret(token);
    let weak_source = weak.as_ref().map(|(_, _, source)| *source);
    let timed = match (options.signing_key, &weak) {
        (Some(key), _) => forge::timing(
            parts,
            key.algorithm().name(),
            &|input| key.sign(input).ok(),
            options.now,
        ),
        (None, Some((alg, secret, _))) => {
            let algorithm = match alg {
                Algorithm::Hs384 => aws_lc_rs::hmac::HMAC_SHA384,
                Algorithm::Hs512 => aws_lc_rs::hmac::HMAC_SHA512,
                _ => aws_lc_rs::hmac::HMAC_SHA256,
            };
            let key = aws_lc_rs::hmac::Key::new(algorithm, secret);
            forge::timing(
                parts,
                alg.name(),
                &|input| Some(aws_lc_rs::hmac::sign(&key, input).as_ref().to_vec()),
                options.now,
            )
        }
        (None, None) => Vec::new(),
    };
    if timed.is_empty() {
        for attack in [Attack::Expired, Attack::NotYetValid] {
            skipped.push(Skipped {
                attack,
                reason: "needs the signing key to make an otherwise valid token: pass --key or --secret-env".to_owned(),
            });
        }
    }
    forged.extend(timed);
    let (foreign, published) = forge::foreign_key(parts, urls.0, urls.1);
    forged.extend(foreign);
    (forged, skipped, weak_source, published)
}

/// Probes the endpoint with `token` (valid, the user's own). `progress` is
/// told each request as (sent, planned).
pub fn run(
    token: &str,
    options: &ProbeOptions<'_>,
    mut progress: impl FnMut(usize, usize),
) -> Result<ProbeReport, ProbeError> {
    if options.max_requests < 3 {
        return Err(ProbeError::Budget(options.max_requests));
    }
    let parts = Parts::parse(token)?;
    let mut client = http::Client::new(options)?;
    // A loopback endpoint can fetch what we publish on loopback; any other
    // gets a URL that cannot resolve (.invalid), so only acceptance is conclusive.
    let host = http::Publisher::start_if_loopback(&options.url);
    let urls = host.as_ref().map_or_else(
        || {
            (
                "https://jwtkeep-probe.invalid/jwks.json".to_owned(),
                "https://jwtkeep-probe.invalid/cert.pem".to_owned(),
            )
        },
        |h| (h.url("/jwks.json"), h.url("/cert.pem")),
    );
    let (forged, mut skipped, weak_secret, published) =
        attacks(&parts, token, options, (&urls.0, &urls.1));
    if let Some(host) = &host {
        host.publish(published);
    }
    let planned = (3 + forged.len()).min(options.max_requests);

    let valid = client.send(Some(token))?;
    progress(1, planned);
    let success = |status: u16| {
        options
            .expect_status
            .map_or(status == valid, |e| status == e)
    };
    if !success(valid) || (options.expect_status.is_none() && valid >= 400) {
        return Err(ProbeError::ValidRefused(valid));
    }
    let no_token = client.send(None)?;
    progress(2, planned);
    if success(no_token) {
        return Err(ProbeError::NoTokenNeeded(no_token));
    }
    let mut attempts = Vec::new();
    let corrupted = Forged {
        attack: Attack::PayloadTampered,
        variant: "one bit of the signature flipped".to_owned(),
        token: parts.corrupted(),
    };
    for f in std::iter::once(corrupted).chain(forged) {
        if client.sent() >= options.max_requests {
            skipped.push(Skipped {
                attack: f.attack,
                reason: format!(
                    "over --max-requests {} ({})",
                    options.max_requests, f.variant
                ),
            });
            continue;
        }
        let (status, error) = match client.send(Some(&f.token)) {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e.to_string())),
        };
        progress(client.sent(), planned);
        attempts.push(Attempt {
            attack: f.attack,
            variant: f.variant,
            accepted: status.is_some_and(success),
            status,
            error,
        });
    }
    Ok(ProbeReport {
        valid_status: valid,
        no_token_status: no_token,
        attempts,
        skipped,
        requests: client.sent(),
        header_urls_fetched: host.as_ref().map_or(0, http::Publisher::hits),
        weak_secret,
    })
}
