//! Secrets outside code: literal secrets judged by `check`'s rules, `.env`
//! files, docker-compose files and Kubernetes manifests, and files that hold
//! secrets by their very name.

use std::path::Path;
use zeroize::Zeroizing;

use base64::Engine as _;
use jwtkeep_core::strength::{check, FindingCode, InputEncoding, Severity};
use jwtkeep_core::Algorithm;
use regex::bytes::Regex;

/// What a literal that sits where a secret goes turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Judgement {
    /// A reference to a secret kept elsewhere (`${JWT_SECRET}`, `{{ .secret }}`).
    Reference,
    /// Weak by `check`'s rules: why (never quoting it), and whether it is
    /// empty or on the public list.
    Weak { reason: String, known: bool },
    /// Nothing `check` objects to.
    Strong,
}

/// Judges `value` as an HS256 secret.
pub(crate) fn judge(value: &str) -> Judgement {
    let v = value.trim();
    let wrapped = |open: &str, close: &str| {
        v.starts_with(open) && v.ends_with(close) && v.len() > open.len() + close.len()
    };
    if wrapped("${", "}")
        || wrapped("{{", "}}")
        || wrapped("%(", ")s")
        || wrapped("<", ">")
        || v.strip_prefix('$').is_some_and(|name| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
    {
        return Judgement::Reference;
    }
    let Ok(report) = check(v, InputEncoding::Raw, Algorithm::Hs256) else {
        return Judgement::Strong;
    };
    let Some(worst) = report
        .findings
        .iter()
        .find(|f| f.severity >= Severity::Medium)
    else {
        return Judgement::Strong;
    };
    Judgement::Weak {
        reason: worst.message.clone(),
        known: report
            .findings
            .iter()
            .any(|f| matches!(f.code, FindingCode::Empty | FindingCode::KnownWeak)),
    }
}

/// The kinds of files this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConfigKind {
    /// `.env`, `.env.production`, ...
    Env,
    /// `.env.example` and its kind: meant to be committed.
    EnvTemplate,
    /// YAML: docker-compose files, Kubernetes manifests, Spring's `application.yml`.
    Yaml,
    /// Java `.properties` (Spring's `application.properties`): `name=value`.
    Properties,
    /// `*.pem` and `*.key`.
    KeyFile,
}

/// What a file is, by its name.
pub(crate) fn kind_of(path: &Path) -> Option<ConfigKind> {
    let name = path.file_name()?.to_str()?;
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        let template = [
            ".example",
            ".sample",
            ".template",
            ".dist",
            ".defaults",
            ".tmpl",
        ]
        .iter()
        .any(|t| name.ends_with(t));
        return Some(if template {
            ConfigKind::EnvTemplate
        } else {
            ConfigKind::Env
        });
    }
    match path.extension()?.to_str()? {
        "yml" | "yaml" => Some(ConfigKind::Yaml),
        "properties" => Some(ConfigKind::Properties),
        "pem" | "key" => Some(ConfigKind::KeyFile),
        _ => None,
    }
}

/// A weak secret found in a configuration file.
#[derive(Debug)]
pub(crate) struct WeakSetting {
    /// Byte offset of the setting.
    pub(crate) offset: usize,
    /// The setting's name.
    pub(crate) name: String,
    pub(crate) reason: String,
    pub(crate) known: bool,
}

/// The compiled patterns for configuration files.
#[derive(Debug)]
pub(crate) struct ConfigPatterns {
    /// `NAME=value` lines of .env files.
    env_line: Regex,
    /// `NAME: value`, `- NAME=value` in YAML.
    yaml_entry: Regex,
    /// Kubernetes env entries: `- name: NAME` then `value: ...`.
    k8s_env: Regex,
}

impl ConfigPatterns {
    pub(crate) fn new() -> Result<ConfigPatterns, regex::Error> {
        let secretish = super::rules::secretish();
        let build = |p: String| {
            regex::bytes::RegexBuilder::new(&p)
                .unicode(false)
                .multi_line(true)
                .build()
        };
        Ok(ConfigPatterns {
            env_line: build(format!(
                r#"^[ \t]*(?:export[ \t]+)?(?P<name>{secretish})[ \t]*=[ \t]*(?:"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)'|(?P<bare>[^\r\n#]*))"#
            ))?,
            yaml_entry: build(format!(
                r#"^[ \t]*-?[ \t]*['"]?(?P<name>{secretish})['"]?[ \t]*[:=][ \t]*(?:"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)'|(?P<bare>[^ \t\r\n#'"|>&*{{\[][^ \t\r\n#]*))"#
            ))?,
            k8s_env: build(format!(
                r#"^[ \t]*-[ \t]*name:[ \t]*['"]?(?P<name>{secretish})['"]?[ \t]*\r?\n[ \t]*value:[ \t]*(?:"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)'|(?P<bare>[^ \t\r\n#]+))"#
            ))?,
        })
    }

    /// Weak secrets set in a configuration file of `kind`.
    /// Every value set (references to elsewhere left out) goes to `values`
    /// with its offset, for the committed-token triage.
    pub(crate) fn weak_settings(
        &self,
        kind: ConfigKind,
        text: &[u8],
        values: &mut Vec<(usize, Zeroizing<Vec<u8>>)>,
    ) -> Vec<WeakSetting> {
        let mut out = Vec::new();
        let patterns: &[&Regex] = match kind {
            ConfigKind::Env | ConfigKind::EnvTemplate | ConfigKind::Properties => &[&self.env_line],
            ConfigKind::Yaml => &[&self.yaml_entry, &self.k8s_env],
            ConfigKind::KeyFile => &[],
        };
        // A Kubernetes Secret's `data:` values are base64 of the secret.
        let k8s_secret = kind == ConfigKind::Yaml
            && memchr_find(text, b"kind: Secret")
            && memchr_find(text, b"data:");
        for regex in patterns {
            for caps in regex.captures_iter(text) {
                let (Some(whole), Some(name)) = (caps.get(0), caps.name("name")) else {
                    continue;
                };
                let Some(value) = ["dq", "sq", "bare"].iter().find_map(|g| caps.name(g)) else {
                    continue;
                };
                let name = String::from_utf8_lossy(name.as_bytes()).into_owned();
                if !holds_secret(&name) {
                    continue;
                }
                let raw = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
                let in_data = k8s_secret && under_data_key(text, whole.start());
                let value = if in_data {
                    match base64::engine::general_purpose::STANDARD.decode(raw.trim()) {
                        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                        Err(_) => continue,
                    }
                } else {
                    raw
                };
                // In a template, a placeholder is what belongs there.
                if kind == ConfigKind::EnvTemplate && jwtkeep_core::strength::is_placeholder(&value)
                {
                    continue;
                }
                let judgement = judge(&value);
                if !matches!(judgement, Judgement::Reference) {
                    values.push((whole.start(), Zeroizing::new(value.clone().into_bytes())));
                }
                if let Judgement::Weak { reason, known } = judgement {
                    out.push(WeakSetting {
                        offset: whole.start(),
                        name,
                        reason,
                        known,
                    });
                }
            }
        }
        out.sort_by_key(|w| w.offset);
        out.dedup_by_key(|w| w.offset);
        out
    }
}

/// Whether a setting whose name matched the secret-ish pattern holds a
/// secret: `JWT_EXPIRES_IN`, `JWT_ISSUER`, `JWT_ALGORITHM`,
/// `jwtExpirationMs`, `JWT_PUBLIC_KEY` are about JWTs but are not secrets.
fn holds_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    const NOT_SECRET: &[&str] = &[
        "expir",
        "ttl",
        "lifetime",
        "duration",
        "timeout",
        "issuer",
        "audience",
        "algorithm",
        "header",
        "prefix",
        "enabled",
        "url",
        "uri",
        "endpoint",
        "version",
        "leeway",
        "skew",
        "maxage",
        "max_age",
        "domain",
        "public",
        "location",
        "length",
        "_path",
        "_file",
        "_name",
        "_type",
    ];
    if NOT_SECRET.iter().any(|w| lower.contains(w)) {
        return false;
    }
    // A unit or a claim name as the last word: `JWT_TTL_MS`, `JWT_ALG`, `JWT_ISS`.
    let last = lower.rsplit(['_', '.', '-']).next().unwrap_or_default();
    let camel_last = name
        .rfind(|c: char| c.is_ascii_uppercase())
        .and_then(|i| name.get(i..))
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    ![last, camel_last.as_str()].iter().any(|w| {
        matches!(
            *w,
            "ms" | "alg"
                | "iss"
                | "aud"
                | "exp"
                | "age"
                | "seconds"
                | "secs"
                | "minutes"
                | "hours"
                | "days"
                | "mode"
                | "size"
        )
    })
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether the line at `offset` sits under a `data:` key (the nearest less
/// indented key above it).
fn under_data_key(text: &[u8], offset: usize) -> bool {
    let before = text.get(..offset).unwrap_or_default();
    let indent_of = |line: &[u8]| line.iter().take_while(|b| **b == b' ').count();
    let mut lines = before.split(|&b| b == b'\n').rev();
    let this = text
        .get(offset..)
        .unwrap_or_default()
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default();
    let own = indent_of(this);
    let _ = lines.next();
    for line in lines {
        let trimmed_len = line.iter().filter(|b| !b.is_ascii_whitespace()).count();
        if trimmed_len == 0 {
            continue;
        }
        if indent_of(line) < own {
            let key = String::from_utf8_lossy(line);
            return key.trim() == "data:";
        }
    }
    false
}

/// Whether a key file holds a private key (certificates and public keys are
/// not secrets): PEM with PRIVATE KEY, or any `.key` file.
pub(crate) fn holds_private_key(path: &Path, text: &[u8]) -> bool {
    path.extension().is_some_and(|e| e == "key") || memchr_find(text, b"PRIVATE KEY-----")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_literals_by_checks_rules_not_entropy_alone() {
        assert_eq!(judge("${JWT_SECRET}"), Judgement::Reference);
        assert_eq!(judge("$JWT_SECRET"), Judgement::Reference);
        assert_eq!(judge("{{ .Values.secret }}"), Judgement::Reference);
        assert!(matches!(
            judge("supersecretkey"),
            Judgement::Weak { known: true, .. }
        ));
        assert!(matches!(judge(""), Judgement::Weak { known: true, .. }));
        assert!(matches!(
            judge("myapp-secret-2024"),
            Judgement::Weak { known: false, .. }
        ));
        assert_eq!(
            judge("Jq3v9Xw2Lk8Rt5Zp1Mn7Bc4Hf6Gd0Sy2Ae9Ux3Wi5Ko8"),
            Judgement::Strong
        );
    }

    #[test]
    fn finds_weak_secrets_in_env_compose_and_kubernetes_files() {
        let p = ConfigPatterns::new().unwrap();
        let env = b"PORT=3000\nJWT_SECRET=supersecretkey\nexport REFRESH_SECRET='myapp-refresh-2024'\nAPI_SECRET=Jq3v9Xw2Lk8Rt5Zp1Mn7Bc4Hf6Gd0Sy2Ae9Ux3Wi5Ko8\n";
        let found = p.weak_settings(ConfigKind::Env, env, &mut Vec::new());
        let names: Vec<&str> = found.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["JWT_SECRET", "REFRESH_SECRET"]);
        assert!(found[0].known && !found[1].known);

        // About JWTs, but not secrets: lifetimes, issuers, algorithms, public keys.
        let env = b"JWT_EXPIRES_IN=90d\nJWT_COOKIE_EXPIRES_IN=90\nJWT_ISSUER=shop\nJWT_ALGORITHM=HS256\nJWT_PUBLIC_KEY=abc\nJWT_TTL_MS=900\nJWT_ALG=HS256\nJWT_COOKIE_SECRET=short\n";
        let found = p.weak_settings(ConfigKind::Env, env, &mut Vec::new());
        let names: Vec<&str> = found.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["JWT_COOKIE_SECRET"]);

        // Spring: application.properties and application.yml.
        let props = b"server.port=8080\njwt.secret=mySecretKey\njwt.expiration=86400000\n";
        let found = p.weak_settings(ConfigKind::Properties, props, &mut Vec::new());
        let names: Vec<&str> = found.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["jwt.secret"]);
        let yml = b"app:\n  jwtSecret: bezKoderSecretKey\n  jwtExpirationMs: 86400000\n";
        let found = p.weak_settings(ConfigKind::Yaml, yml, &mut Vec::new());
        let names: Vec<&str> = found.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["jwtSecret"]);

        let compose = b"services:\n  api:\n    environment:\n      - JWT_SECRET=changeme\n      JWT_REFRESH_SECRET: \"${REFRESH}\"\n      SESSION_SECRET: 'secret123'\n";
        let names: Vec<String> = p
            .weak_settings(ConfigKind::Yaml, compose, &mut Vec::new())
            .into_iter()
            .map(|w| w.name)
            .collect();
        assert_eq!(names, ["JWT_SECRET", "SESSION_SECRET"]);

        let k8s = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\ndata:\n  jwt-secret: c3VwZXJzZWNyZXRrZXk=\n  other: eA==\n---\nspec:\n  containers:\n    - env:\n        - name: JWT_SECRET\n          value: \"password1\"\n";
        let found = p.weak_settings(ConfigKind::Yaml, k8s, &mut Vec::new());
        let names: Vec<&str> = found.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["jwt-secret", "JWT_SECRET"]);
        assert!(found[0].known, "base64 of supersecretkey, decoded");
    }

    #[test]
    fn templates_may_hold_placeholders_but_not_weak_real_values() {
        let p = ConfigPatterns::new().unwrap();
        let example =
            b"JWT_SECRET=changeme\nJWT_SECRET=<your secret>\nREFRESH_SECRET=supersecretkey\n";
        let names: Vec<String> = p
            .weak_settings(ConfigKind::EnvTemplate, example, &mut Vec::new())
            .into_iter()
            .map(|w| w.name)
            .collect();
        assert_eq!(names, ["REFRESH_SECRET"]);
    }

    #[test]
    fn names_files_by_what_they_hold() {
        assert_eq!(kind_of(Path::new("a/.env")), Some(ConfigKind::Env));
        assert_eq!(
            kind_of(Path::new("src/main/resources/application.properties")),
            Some(ConfigKind::Properties)
        );
        assert_eq!(kind_of(Path::new(".env.production")), Some(ConfigKind::Env));
        assert_eq!(
            kind_of(Path::new(".env.example")),
            Some(ConfigKind::EnvTemplate)
        );
        assert_eq!(
            kind_of(Path::new("k8s/secret.yaml")),
            Some(ConfigKind::Yaml)
        );
        assert_eq!(
            kind_of(Path::new("tls/server.key")),
            Some(ConfigKind::KeyFile)
        );
        assert_eq!(kind_of(Path::new("src/env.rs")), None);
        assert!(holds_private_key(
            Path::new("k.pem"),
            b"-----BEGIN PRIVATE KEY-----"
        ));
        assert!(!holds_private_key(
            Path::new("c.pem"),
            b"-----BEGIN CERTIFICATE-----"
        ));
    }
}
