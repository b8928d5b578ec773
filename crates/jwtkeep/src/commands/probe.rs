//! `jwtkeep probe`: the known JWT attacks against an endpoint the user owns.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result};
use jwtkeep_audit::probe::{fetch_jwks, run as probe, Method, ProbeOptions, ProbeReport};
use jwtkeep_core::{JwkSet, KeyRing};
use serde_json::{json, Value};

use crate::cli::{ProbeArgs, ProbeMethod};
use crate::clock::now_unix;
use crate::commands::token::token_text;
use crate::keysource::load_keys;
use crate::output::{self, Outcome};
use crate::progress::Bar;

/// The endpoint's public keys from a URL or a file.
fn jwks(source: &str) -> Result<JwkSet> {
    if source.starts_with("http://") || source.starts_with("https://") {
        return fetch_jwks(source).map_err(|e| anyhow::anyhow!("cannot read --jwks: {e}"));
    }
    let text = std::fs::read_to_string(source)
        .with_context(|| format!("cannot read the JWKS file {source}"))?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!("{source} is not a JWKS ({e}): give the file or URL of the endpoint's JWKS")
    })
}

fn given(args: &ProbeArgs) -> bool {
    args.source.key.is_some()
        || args.source.secret_env.is_some()
        || args.source.secret_file.is_some()
}

fn report_json(args: &ProbeArgs, report: &ProbeReport) -> Value {
    json!({
        "url": args.url,
        "valid_status": report.valid_status,
        "no_token_status": report.no_token_status,
        "requests": report.requests,
        "accepted": report.accepted().count(),
        "attempts": report.attempts.iter().map(|a| json!({
            "attack": a.attack.id(),
            "variant": a.variant,
            "status": a.status,
            "accepted": a.accepted,
            "meaning": a.attack.meaning(),
            "fix": a.attack.fix(),
            "error": a.error,
        })).collect::<Vec<_>>(),
        "skipped": report.skipped.iter().map(|s| json!({"attack": s.attack.id(), "reason": s.reason})).collect::<Vec<_>>(),
        "header_urls_fetched": report.header_urls_fetched,
        "weak_secret": report.weak_secret,
    })
}

fn report_text(args: &ProbeArgs, report: &ProbeReport) -> String {
    let mut out = format!(
        "probed {} with {} requests: the valid token gets {}, no token gets {}\n",
        args.url, report.requests, report.valid_status, report.no_token_status
    );
    for a in &report.attempts {
        let status = a.status.map_or_else(
            || format!("no answer ({})", a.error.as_deref().unwrap_or("")),
            |s| s.to_string(),
        );
        if a.accepted {
            out.push_str(&format!(
                "ACCEPTED  {} ({}): the endpoint {}\n          fix: {}\n",
                a.attack.id(),
                a.variant,
                a.attack.meaning(),
                a.attack.fix()
            ));
        } else {
            out.push_str(&format!(
                "refused   {} ({}): {status}\n",
                a.attack.id(),
                a.variant
            ));
        }
    }
    for s in &report.skipped {
        out.push_str(&format!("skipped   {}: {}\n", s.attack.id(), s.reason));
    }
    if report.header_urls_fetched > 0 {
        out.push_str(&format!(
            "WARNING   the endpoint fetched {} URL(s) named in a token header: it follows attacker-chosen URLs (SSRF), even where it then refused\n",
            report.header_urls_fetched
        ));
    }
    if let Some(source) = report.weak_secret {
        out.push_str(&format!(
            "WARNING   the token's HMAC secret is {}: anyone can sign tokens; rotate it (jwtkeep audit says more)\n",
            if source == "empty" { "empty" } else { "on the public list of weak JWT secrets" }
        ));
    }
    let accepted = report.accepted().count();
    out.push_str(&format!(
        "{accepted} of {} attacks accepted\n",
        report.attempts.len()
    ));
    out
}

/// Runs `probe`.
pub(crate) fn run(args: &ProbeArgs) -> Result<Outcome> {
    let token = token_text(Some(&args.token))?;
    let jwks = args.jwks.as_deref().map(jwks).transpose()?;
    let ring: Option<KeyRing> = if given(args) {
        Some(load_keys(&args.source)?.map_err(|e| anyhow::anyhow!("the key was refused: {e}"))?)
    } else {
        None
    };
    let signing_key = match &ring {
        Some(ring) => {
            let key = ring.keys().first().and_then(|k| k.key().signing_key());
            if key.is_none() {
                anyhow::bail!(
                    "the key is public: the expiry attacks need the private key or the HMAC secret"
                );
            }
            key
        }
        None => None,
    };
    let options = ProbeOptions {
        url: args.url.clone(),
        method: match args.method {
            ProbeMethod::Get => Method::Get,
            ProbeMethod::Post => Method::Post,
        },
        header: args.header.clone(),
        expect_status: args.expect_status,
        max_requests: usize::from(args.max_requests),
        interval: Duration::from_millis(1000 / u64::from(args.rate.max(1))),
        jwks,
        signing_key,
        now: args.now.unwrap_or_else(now_unix),
    };
    let (done, planned) = (AtomicUsize::new(0), AtomicUsize::new(1));
    let report = std::thread::scope(|scope| {
        let (d, p) = (&done, &planned);
        let bar = Bar::start(scope, !args.json, move || {
            let (sent, total) = (d.load(Ordering::Relaxed), p.load(Ordering::Relaxed).max(1));
            // Display only.
            #[allow(clippy::cast_precision_loss)]
            let fraction = sent as f64 / total as f64;
            (Some(fraction), format!("{sent} of {total} requests"))
        });
        let report = probe(&token, &options, |sent, total| {
            done.store(sent, Ordering::Relaxed);
            planned.store(total, Ordering::Relaxed);
        });
        bar.finish();
        report
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.json {
        output::json(&report_json(args, &report))?;
    } else {
        output::stdout(&report_text(args, &report))?;
    }
    Ok(if report.accepted().next().is_some() {
        Outcome::Finding
    } else {
        Outcome::Clean
    })
}
