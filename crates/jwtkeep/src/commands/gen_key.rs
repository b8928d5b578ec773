//! `jwtkeep gen key`: a key pair as PEM, private and public JWK and JWKS.

use anyhow::{Context as _, Result};
use jwtkeep_core::{KeyError, KeyPair};
use serde_json::json;
use zeroize::Zeroizing;

use crate::cli::{GenKeyArgs, KeyFormat};
use crate::files;
use crate::output::{self, Outcome};

/// Runs the command.
pub(crate) fn run(args: &GenKeyArgs) -> Result<Outcome> {
    if args.alg.is_hmac() {
        anyhow::bail!(
            "{} uses a shared secret, not a key pair: run `jwtkeep gen secret --alg {}`",
            args.alg,
            args.alg
        );
    }
    let pair = KeyPair::generate(args.alg, args.bits, args.kid.clone()).map_err(|e| match e {
        KeyError::RsaTooSmall { .. } | KeyError::UnsupportedRsaBits { .. } => {
            anyhow::anyhow!("{e}: choose --bits 2048, 3072 or 4096")
        }
        other => anyhow::anyhow!("{other}"),
    })?;
    match &args.out_dir {
        Some(dir) => write_files(args, &pair, dir),
        None => print(args, &pair),
    }?;
    Ok(Outcome::Clean)
}

fn pretty(value: &impl serde::Serialize) -> Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(serde_json::to_string_pretty(value)?);
    text.push('\n');
    Ok(text)
}

fn print(args: &GenKeyArgs, pair: &KeyPair) -> Result<()> {
    if args.json {
        let private_jwk = Zeroizing::new(serde_json::to_value(pair.private_jwk())?.to_string());
        return output::json(&json!({
            "alg": pair.algorithm().name(),
            "kid": pair.kid(),
            "private_pem": pair.private_pem().as_str(),
            "public_pem": pair.public_pem(),
            "private_jwk": serde_json::from_str::<serde_json::Value>(&private_jwk)?,
            "public_jwk": pair.public_jwk(),
            "jwks": pair.jwks(),
        }));
    }
    let text = match args.format {
        KeyFormat::Pem => {
            let mut text = pair.private_pem();
            text.push_str(&pair.public_pem());
            text
        }
        KeyFormat::Jwk => pretty(pair.private_jwk())?,
        KeyFormat::PublicJwk => pretty(&pair.public_jwk())?,
        KeyFormat::Jwks => pretty(&pair.jwks())?,
    };
    output::stdout(&text)
}

fn write_files(args: &GenKeyArgs, pair: &KeyPair, dir: &std::path::Path) -> Result<()> {
    files::ensure_private_dir(dir)?;
    let outputs: [(&str, Zeroizing<String>, u32); 4] = [
        ("private.pem", pair.private_pem(), files::SECRET_FILE_MODE),
        (
            "private.jwk.json",
            pretty(pair.private_jwk())?,
            files::SECRET_FILE_MODE,
        ),
        (
            "public.pem",
            Zeroizing::new(pair.public_pem()),
            files::PUBLIC_FILE_MODE,
        ),
        ("jwks.json", pretty(&pair.jwks())?, files::PUBLIC_FILE_MODE),
    ];
    // Refuse before writing anything, so a refusal leaves no partial set behind.
    if !args.force {
        for (name, _, _) in &outputs {
            let path = dir.join(name);
            if path.exists() {
                anyhow::bail!(
                    "{} already exists: pass --force to replace the key files",
                    path.display()
                );
            }
        }
    }
    for (name, contents, mode) in &outputs {
        let path = dir.join(name);
        files::write_new(&path, contents.as_bytes(), *mode, true)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let written: Vec<String> = outputs
        .iter()
        .map(|(name, _, _)| dir.join(name).display().to_string())
        .collect();
    if args.json {
        output::json(&json!({
            "alg": pair.algorithm().name(),
            "kid": pair.kid(),
            "files": {
                "private_pem": written.first(),
                "private_jwk": written.get(1),
                "public_pem": written.get(2),
                "jwks": written.get(3),
            },
        }))
    } else {
        output::stdout(&format!(
            "{} key pair, kid {}\n  {} (0600)\n  {} (0600)\n  {}\n  {}\n",
            pair.algorithm(),
            pair.kid(),
            written.first().map_or("", String::as_str),
            written.get(1).map_or("", String::as_str),
            written.get(2).map_or("", String::as_str),
            written.get(3).map_or("", String::as_str),
        ))
    }
}
