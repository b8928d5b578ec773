//! `jwtkeep gen secret`: HMAC secrets from the OS CSPRNG, one per purpose,
//! printed in the format a framework reads or written into a .env file.

use std::fs;
use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use base64::Engine as _;
use jwtkeep_core::encoding::{TextEncoding, BASE64};
use jwtkeep_core::{Jwk, JwkSet, Secret, SecretError};
use serde_json::json;
use zeroize::Zeroizing;

use crate::cli::{GenSecretArgs, SecretFormat, ValueEncoding};
use crate::dotenv::DotEnv;
use crate::files;
use crate::output::{self, Outcome};

/// One generated secret and the names it goes by.
struct Generated {
    name: String,
    purpose: Option<String>,
    secret: Secret,
}

fn text_encoding(encoding: ValueEncoding) -> TextEncoding {
    match encoding {
        ValueEncoding::Base64url => TextEncoding::Base64Url,
        ValueEncoding::Base64 => TextEncoding::Base64,
        ValueEncoding::Hex => TextEncoding::Hex,
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        bail!("--name {name:?} is not a valid variable name: use letters, digits and _, starting with a letter");
    }
    Ok(())
}

/// Whether `text` is a purpose or environment label: letters, digits, `-` and `_`.
fn is_label(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `access` → `JWT_ACCESS_SECRET`.
fn purpose_name(purpose: &str) -> Result<String> {
    if !is_label(purpose) {
        bail!("--purpose {purpose:?} is not a valid purpose: use letters, digits, - and _ (for example access,refresh,email)");
    }
    Ok(format!(
        "JWT_{}_SECRET",
        purpose.to_ascii_uppercase().replace('-', "_")
    ))
}

fn names(args: &GenSecretArgs) -> Result<Vec<(String, Option<String>)>> {
    if args.count == 0 || args.count > 1000 {
        bail!("--count must be between 1 and 1000");
    }
    if !args.purpose.is_empty() {
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        for purpose in &args.purpose {
            let name = purpose_name(purpose)?;
            if out.iter().any(|(n, _)| *n == name) {
                bail!("--purpose names {purpose:?} twice: list each purpose once");
            }
            out.push((name, Some(purpose.clone())));
        }
        return Ok(out);
    }
    let base = args.name.clone().unwrap_or_else(|| "JWT_SECRET".to_owned());
    check_name(&base)?;
    Ok(if args.count == 1 {
        vec![(base, None)]
    } else {
        (1..=args.count)
            .map(|i| (format!("{base}_{i}"), None))
            .collect()
    })
}

fn generate(args: &GenSecretArgs) -> Result<Vec<Generated>> {
    if !args.alg.is_hmac() {
        bail!(
            "{} uses a key pair, not a shared secret: run `jwtkeep gen key --alg {}`",
            args.alg,
            args.alg
        );
    }
    names(args)?
        .into_iter()
        .map(|(name, purpose)| {
            let secret = Secret::generate(args.alg, args.bytes).map_err(|e| match e {
                SecretError::TooShort { alg, min, .. } => anyhow::anyhow!(
                    "--bytes {} is below {alg}'s minimum of {min} bytes (RFC 7518 §3.2): use --bytes {min} or more, or leave it out",
                    args.bytes.unwrap_or_default()
                ),
                other => anyhow::anyhow!("{other}"),
            })?;
            Ok(Generated { name, purpose, secret })
        })
        .collect()
}

/// Runs the command.
pub(crate) fn run(args: &GenSecretArgs) -> Result<Outcome> {
    if args.rotate && !args.write {
        bail!("--rotate works with --write: add --write");
    }
    let secrets = generate(args)?;
    let encoding = text_encoding(args.encoding);
    if args.write {
        write_env_file(args, &secrets, encoding)?;
    } else {
        print(args, &secrets, encoding)?;
    }
    if args.gitignore {
        let target = target_file(args);
        let (path, added) = files::add_to_gitignore(&target)?;
        if !args.json {
            if added.is_empty() {
                output::note(&format!(
                    "{} already ignores {}",
                    path.display(),
                    files::GITIGNORE_PATTERNS.join(" ")
                ));
            } else {
                output::note(&format!("added {} to {}", added.join(" "), path.display()));
            }
        }
    }
    Ok(Outcome::Clean)
}

fn target_file(args: &GenSecretArgs) -> PathBuf {
    match (&args.file, &args.env) {
        (Some(file), _) => file.clone(),
        (None, Some(env)) => PathBuf::from(format!(".env.{env}")),
        (None, None) => PathBuf::from(".env"),
    }
}

fn check_env_name(args: &GenSecretArgs) -> Result<()> {
    if let Some(env) = &args.env {
        if !is_label(env) {
            bail!("--env {env:?} is not a valid environment name: use letters, digits, - and _ (for example production)");
        }
    }
    Ok(())
}

fn print(args: &GenSecretArgs, secrets: &[Generated], encoding: TextEncoding) -> Result<()> {
    check_env_name(args)?;
    let format = if args.json {
        SecretFormat::Json
    } else {
        args.format
    };
    let mut out = Zeroizing::new(String::new());
    match format {
        SecretFormat::Base64url | SecretFormat::Base64 | SecretFormat::Hex => {
            let enc = match format {
                SecretFormat::Base64 => TextEncoding::Base64,
                SecretFormat::Hex => TextEncoding::Hex,
                _ => TextEncoding::Base64Url,
            };
            for g in secrets {
                out.push_str(&enc.encode(g.secret.expose()));
                out.push('\n');
            }
        }
        SecretFormat::Env => {
            for g in secrets {
                out.push_str(&g.name);
                out.push('=');
                out.push_str(&encoding.encode(g.secret.expose()));
                out.push('\n');
            }
        }
        SecretFormat::Json => {
            let entries: Vec<serde_json::Value> = secrets
                .iter()
                .map(|g| {
                    let jwk = Jwk::symmetric(g.secret.expose(), args.alg, None);
                    json!({
                        "name": g.name,
                        "purpose": g.purpose,
                        "value": encoding.encode(g.secret.expose()).as_str(),
                        "kid": jwk.kid,
                    })
                })
                .collect();
            let doc = json!({
                "alg": args.alg.name(),
                "bytes": secrets.first().map_or(0, |g| g.secret.len()),
                "encoding": encoding.name(),
                "environment": args.env,
                "secrets": entries,
            });
            return output::json(&doc);
        }
        SecretFormat::Jwk => {
            let keys: Vec<Jwk> = secrets
                .iter()
                .map(|g| Jwk::symmetric(g.secret.expose(), args.alg, None))
                .collect();
            let text = match keys.as_slice() {
                [one] => serde_json::to_string_pretty(one)?,
                _ => serde_json::to_string_pretty(&JwkSet { keys })?,
            };
            out.push_str(&Zeroizing::new(text));
            out.push('\n');
        }
        SecretFormat::K8s => {
            let name = args.k8s_name.clone().unwrap_or_else(|| match &args.env {
                Some(env) => format!("jwt-secrets-{}", env.to_ascii_lowercase().replace('_', "-")),
                None => "jwt-secrets".to_owned(),
            });
            out.push_str("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ");
            out.push_str(&name);
            out.push_str("\ntype: Opaque\ndata:\n");
            for g in secrets {
                let value = encoding.encode(g.secret.expose());
                out.push_str("  ");
                out.push_str(&g.name);
                out.push_str(": ");
                out.push_str(&Zeroizing::new(BASE64.encode(value.as_bytes())));
                out.push('\n');
            }
        }
    }
    output::stdout(&out)
}

fn write_env_file(
    args: &GenSecretArgs,
    secrets: &[Generated],
    encoding: TextEncoding,
) -> Result<()> {
    check_env_name(args)?;
    if !matches!(args.format, SecretFormat::Base64url | SecretFormat::Env) {
        bail!("--write writes .env lines; drop --format (use --encoding to choose hex or base64)");
    }
    let path = target_file(args);
    let existing = match fs::read(&path) {
        Ok(bytes) => Some(Zeroizing::new(String::from_utf8(bytes).map_err(|_| {
            anyhow::anyhow!(
                "{} is not UTF-8 text: fix it or choose another file with --file",
                path.display()
            )
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read {}: check its permissions", path.display()))
        }
    };
    let mut env = match &existing {
        Some(text) => DotEnv::parse(text, &path)?,
        None => DotEnv::parse("", &path)?,
    };
    let clashes: Vec<&str> = secrets
        .iter()
        .map(|g| g.name.as_str())
        .filter(|n| env.contains(n))
        .collect();
    if !clashes.is_empty() && !args.rotate {
        bail!(
            "{} already sets {}: pass --rotate to replace (the old value is kept as NAME_PREVIOUS)",
            path.display(),
            clashes.join(", ")
        );
    }
    let mut rotated = Vec::new();
    for g in secrets {
        let value = encoding.encode(g.secret.expose());
        if let Some(old) = env.raw_value(&g.name).map(|v| Zeroizing::new(v.to_owned())) {
            let previous = format!("{}_PREVIOUS", g.name);
            env.set(&g.name, &value, None);
            env.set(&previous, &old, Some(&g.name));
            rotated.push(g.name.clone());
        } else {
            env.set(&g.name, &value, None);
        }
    }
    let loose = existing.is_some()
        && fs::metadata(&path)
            .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o077 != 0)
            .unwrap_or(false);
    files::write_atomic(&path, env.render().as_bytes(), files::SECRET_FILE_MODE)?;
    let written: Vec<&str> = secrets.iter().map(|g| g.name.as_str()).collect();
    let ignored = files::git_ignored(&path);
    if args.json {
        output::json(&json!({
            "file": path.display().to_string(),
            "mode": "0600",
            "written": written,
            "rotated": rotated,
            "git_ignored": ignored,
        }))?;
    } else {
        let mut text = format!(
            "wrote {} to {} (mode 0600)\n",
            written.join(", "),
            path.display()
        );
        if !rotated.is_empty() {
            text.push_str(&format!(
                "rotated {}: the old values stay as *_PREVIOUS until every token signed with them has expired; then delete those lines\n",
                rotated.join(", ")
            ));
        }
        output::stdout(&text)?;
    }
    if loose {
        output::warn(&format!(
            "{} was readable by others; it is now 0600",
            path.display()
        ));
    }
    if ignored == Some(false) && !args.gitignore {
        output::warn(&format!(
            "{} is not git-ignored and could be committed: add --gitignore (adds .env*, *.pem, *.key to .gitignore)",
            path.display()
        ));
    }
    Ok(())
}
