//! `jwtkeep check`: judges secrets from stdin, environment variables or .env
//! files. The secret is never read from argv, and never printed.

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use jwtkeep_core::strength::{self, Finding, InputEncoding, Labelled, Report, Verdict};
use jwtkeep_core::Secret;
use serde_json::json;
use zeroize::Zeroizing;

use crate::cli::CheckArgs;
use crate::dotenv::DotEnv;
use crate::environment;
use crate::output::{self, Outcome};

/// The largest secret read from stdin or a file.
const MAX_INPUT_BYTES: u64 = 64 * 1024;

/// One secret to judge, and where it came from.
struct Candidate {
    name: Option<String>,
    source: String,
    text: Zeroizing<String>,
}

/// Whether a .env variable name is that of a signing secret.
pub(crate) fn looks_like_signing_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    const NOT_SECRETS: [&str; 15] = [
        "_FILE",
        "_PATH",
        "_URL",
        "_URI",
        "_ALG",
        "_ALGORITHM",
        "_EXPIRES_IN",
        "_EXPIRY",
        "_EXPIRATION",
        "_TTL",
        "_LIFETIME",
        "_ISSUER",
        "_AUDIENCE",
        "_ID",
        "_NAME",
    ];
    if NOT_SECRETS.iter().any(|s| upper.ends_with(s)) {
        return false;
    }
    let jwt_key = upper
        .find("JWT")
        .is_some_and(|at| upper.get(at..).is_some_and(|rest| rest.contains("KEY")));
    upper.contains("SECRET") || jwt_key || upper.contains("SIGNING_KEY")
}

fn environment_label(path: &Path) -> String {
    path.display().to_string()
}

fn read_stdin() -> Result<Zeroizing<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        bail!("no secret given: pipe it in, for example `printf '%s' \"$JWT_SECRET\" | jwtkeep check`, or use --env-var NAME or --dotenv FILE");
    }
    let mut bytes = Zeroizing::new(Vec::new());
    stdin
        .lock()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .context("cannot read the secret from standard input")?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        bail!("standard input holds more than 64 KiB: pipe in only the secret");
    }
    let mut text = Zeroizing::new(
        String::from_utf8(bytes.to_vec())
            .map_err(|_| anyhow::anyhow!("the secret on standard input is not UTF-8 text: pass its hex or base64 form with --encoding hex|base64"))?,
    );
    // `echo` and heredocs add one line ending; it is not part of the secret.
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

fn candidates(args: &CheckArgs) -> Result<Vec<Candidate>> {
    let mut out = Vec::new();
    for name in &args.env_var {
        let value = environment::secret_var(name)
            .map_err(anyhow::Error::msg)?
            .with_context(|| {
                format!("environment variable {name} is not set: export it, or pipe the secret in")
            })?;
        out.push(Candidate {
            name: Some(name.clone()),
            source: "environment".to_owned(),
            text: value,
        });
    }
    for path in &args.dotenv {
        let file = std::fs::File::open(path).with_context(|| {
            format!(
                "cannot read {}: check the path and its permissions",
                path.display()
            )
        })?;
        let mut bytes = Zeroizing::new(Vec::new());
        file.take(16 * MAX_INPUT_BYTES)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let text = Zeroizing::new(
            String::from_utf8(bytes.to_vec())
                .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))?,
        );
        let env = DotEnv::parse(&text, path)?;
        let before = out.len();
        for (name, value) in env.vars() {
            if looks_like_signing_secret(name) {
                out.push(Candidate {
                    name: Some(name.to_owned()),
                    source: environment_label(path),
                    text: Zeroizing::new(value.to_owned()),
                });
            }
        }
        if out.len() == before {
            output::warn(&format!(
                "{} has no variable that looks like a signing secret (*SECRET*, *JWT*KEY*, *SIGNING_KEY*)",
                path.display()
            ));
        }
    }
    if args.env_var.is_empty() && args.dotenv.is_empty() {
        out.push(Candidate {
            name: None,
            source: "stdin".to_owned(),
            text: read_stdin()?,
        });
    }
    Ok(out)
}

/// Runs the command.
pub(crate) fn run(args: &CheckArgs) -> Result<Outcome> {
    if args.positional.is_some() {
        bail!("refusing to read a secret from the command line: shell history and `ps` would keep it. Pipe it in instead: printf '%s' \"$JWT_SECRET\" | jwtkeep check");
    }
    if !args.alg.is_hmac() {
        bail!("check judges shared secrets (HS256, HS384, HS512); for a key pair use `jwtkeep key inspect`");
    }
    let encoding: InputEncoding = args.encoding.into();
    let candidates = candidates(args)?;
    let mut reports: Vec<Report> = Vec::with_capacity(candidates.len());
    let mut secrets: Vec<Secret> = Vec::with_capacity(candidates.len());
    for c in &candidates {
        let label = c.name.as_deref().unwrap_or("the secret");
        let report = strength::check(&c.text, encoding, args.alg).map_err(|e| {
            anyhow::anyhow!("{label} ({}): {e}: pass the right --encoding", c.source)
        })?;
        let interpreted = strength::interpret(&c.text, report.encoding)
            .map_err(|e| anyhow::anyhow!("{label}: {e}"))?;
        secrets.push(interpreted.secret);
        reports.push(report);
    }
    let labelled: Vec<Labelled<'_>> = candidates
        .iter()
        .zip(&secrets)
        .map(|(c, secret)| Labelled {
            name: c.name.as_deref().unwrap_or("stdin"),
            environment: &c.source,
            secret,
        })
        .collect();
    for (index, finding) in strength::reuse_findings(&labelled) {
        if let Some(report) = reports.get_mut(index) {
            report.findings.insert(0, finding);
            report
                .findings
                .sort_by_key(|f| std::cmp::Reverse(f.severity));
        }
    }
    let weak = reports.iter().any(|r| r.verdict() == Verdict::Weak);
    if args.json {
        print_json(&candidates, &reports, weak)?;
    } else {
        print_text(&candidates, &reports, encoding)?;
    }
    Ok(if weak {
        Outcome::Finding
    } else {
        Outcome::Clean
    })
}

fn finding_json(f: &Finding) -> serde_json::Value {
    json!({
        "code": f.code.as_str(),
        "severity": f.severity.name(),
        "message": f.message,
        "fix": f.fix,
    })
}

fn print_json(candidates: &[Candidate], reports: &[Report], weak: bool) -> Result<()> {
    let results: Vec<serde_json::Value> = candidates
        .iter()
        .zip(reports)
        .map(|(c, r)| {
            json!({
                "name": c.name,
                "source": c.source,
                "alg": r.alg.name(),
                "encoding": r.encoding.name(),
                "bytes": r.bytes,
                "min_bytes": r.min_bytes,
                "estimated_bits": r.estimated_bits,
                "verdict": r.verdict().name(),
                "findings": r.findings.iter().map(finding_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    output::json(&json!({
        "verdict": if weak { "weak" } else { "strong" },
        "results": results,
    }))
}

fn print_text(candidates: &[Candidate], reports: &[Report], asked: InputEncoding) -> Result<()> {
    let mut out = String::new();
    for (c, r) in candidates.iter().zip(reports) {
        let who = match &c.name {
            Some(name) => format!("{name} ({}): ", c.source),
            None => String::new(),
        };
        let assumed = if asked == InputEncoding::Auto {
            match r.encoding {
                InputEncoding::Raw => " (auto: used as text)".to_owned(),
                other => format!(" (auto: decoded as {}; pass --encoding raw if your library uses the text as is)", other.name()),
            }
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{who}{} for {}: {} bytes{assumed}, about {:.0} bits of estimated entropy\n",
            r.verdict().name(),
            r.alg,
            r.bytes,
            r.estimated_bits
        ));
        for f in &r.findings {
            out.push_str(&format!(
                "  {:<8} {}: {}\n           fix: {}\n",
                f.severity.name(),
                f.code,
                f.message,
                f.fix
            ));
        }
    }
    output::stdout(&out)
}

#[cfg(test)]
mod tests {
    use super::looks_like_signing_secret;

    #[test]
    fn signing_secret_names_are_recognised() {
        for name in [
            "JWT_SECRET",
            "JWT_ACCESS_SECRET",
            "jwt_private_key",
            "APP_SIGNING_KEY",
            "SECRET_KEY_BASE",
            "JWT_SECRET_PREVIOUS",
        ] {
            assert!(looks_like_signing_secret(name), "{name}");
        }
        for name in [
            "PORT",
            "DATABASE_URL",
            "JWT_EXPIRES_IN",
            "JWT_SECRET_FILE",
            "API_KEY",
            "JWT_ISSUER",
        ] {
            assert!(!looks_like_signing_secret(name), "{name}");
        }
    }
}
