//! The dataflow over one parsed file: where a literal goes, and which JWT
//! calls it reaches.
//!
//! A value is followed through names (every assignment of a name counts, so
//! `if key == "" { key = "dev" }` is a fallback), object and struct members,
//! concatenation, templates and format calls, conversions (`[]byte(...)`,
//! `.encode()`, `getBytes()`, key constructors) and environment reads with
//! their defaults. What reaches the key argument of a JWT library's sign,
//! verify, encode, decode or key-construction call is judged:
//!
//! - a literal alone: hard-coded (critical when weak);
//! - a literal beside an environment read: a fallback;
//! - a literal joined to environment values that are not secrets
//!   (`APP_NAME + "-secret"`): predictable.
//!
//! The same module also holds the rules that need structure rather than a
//! pattern: signing without an expiry, mixed algorithm lists, cookies without
//! their flags, and claims of an unverified token used for authorisation.

use std::collections::{HashMap, HashSet};

use jwtkeep_core::strength::Severity;

use super::config::{self, Judgement};
use super::syntax::{Arg, Call, Expr, Family, Module};

/// How deep a value is followed through names and calls.
const MAX_HOPS: usize = 12;

/// A finding of the dataflow, at a byte offset of the file.
#[derive(Debug)]
pub(crate) struct Hit {
    pub(crate) rule: &'static str,
    /// `None`: the rule's own severity.
    pub(crate) severity: Option<Severity>,
    pub(crate) at: usize,
    pub(crate) message: String,
}

/// A literal that reached a key, and where: kept for the committed-token triage.
pub(crate) type TreeSecret = (usize, zeroize::Zeroizing<Vec<u8>>);

/// What a value can be (no `Debug`: literals may be secrets).
enum Val {
    Lit {
        text: String,
        at: usize,
    },
    Env(String),
    /// Parts joined, and where the first literal written in the join itself is.
    Concat(Vec<Val>, Option<usize>),
    Alt(Vec<Val>),
    /// What another file gives: `name` (a dotted path, empty for the whole
    /// module) of the module written `module` (empty: this file's package).
    Import {
        module: String,
        name: String,
    },
    Unknown,
}

/// A key argument that names a value of another file, to be followed there.
#[derive(Clone)]
pub(crate) struct Imported {
    /// The file whose code names it.
    pub(crate) from: String,
    /// The module as written in that file (empty: the file's own package).
    pub(crate) module: String,
    /// The dotted name in that module.
    pub(crate) name: String,
    /// Whether an environment value stands beside it (a literal is a fallback).
    pub(crate) beside_env: bool,
    /// The call it reaches, and where: `jwt.sign (src/auth.js:12)`.
    pub(crate) reaches: String,
}

/// A key argument and the call it is given to.
struct Sink<'m> {
    key: &'m Expr,
    label: String,
    at: usize,
}

/// Claim names that decide what a caller may do.
const AUTHZ_CLAIMS: &[&str] = &[
    "role",
    "roles",
    "admin",
    "is_admin",
    "isAdmin",
    "scope",
    "scopes",
    "scp",
    "permissions",
    "perms",
    "groups",
    "authorities",
    "is_staff",
    "is_superuser",
    "isSuperuser",
];

/// Assignment targets whose value is a framework's JWT signing secret.
const CONFIG_KEYS: &[&str] = &[
    "JWT_SECRET_KEY",
    "SECRET_KEY",
    "SIGNING_KEY",
    "JWT_SECRET",
    "JWT_PRIVATE_KEY",
];

/// Object members that name a JWT middleware's secret.
const SECRET_MEMBERS: &[&str] = &[
    "secret",
    "secretOrKey",
    "secretOrPrivateKey",
    "SigningKey",
    "signingKey",
];

pub(crate) struct Flow<'m> {
    module: &'m Module,
    family: Family,
    text: &'m [u8],
    by_path: HashMap<&'m str, Vec<&'m Expr>>,
    by_last: HashMap<&'m str, HashSet<&'m str>>,
}

/// `a.b` joined to `c`: `a.b.c`; either may be empty.
pub(crate) fn join_path(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}.{b}"),
    }
}

fn last(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

fn root(path: &str) -> &str {
    path.split('.').next().unwrap_or(path)
}

/// An argument by position, or by name.
fn arg<'a>(args: &'a [Arg], index: usize, name: &str) -> Option<&'a Expr> {
    args.iter()
        .find(|a| a.name.as_deref() == Some(name))
        .or_else(|| args.iter().filter(|a| a.name.is_none()).nth(index))
        .map(|a| &a.value)
}

fn member<'e>(pairs: &'e [(String, Expr)], names: &[&str]) -> Option<&'e Expr> {
    pairs
        .iter()
        .find(|(k, _)| names.contains(&k.as_str()))
        .map(|(_, v)| v)
}

/// Whether an environment variable's name says it holds a secret.
fn secret_var(var: &str) -> bool {
    let v = var.to_ascii_uppercase();
    ["SECRET", "KEY", "TOKEN", "PASS", "JWT", "PRIVATE"]
        .iter()
        .any(|w| v.contains(w))
}

/// Whether a name or text is about a token or a session.
fn tokenish(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "token", "jwt", "auth", "session", "access", "refresh", "bearer",
    ]
    .iter()
    .any(|w| t.contains(w))
}

const ALGS_SYMMETRIC: &[&str] = &["HS256", "HS384", "HS512"];
const ALGS_ASYMMETRIC: &[&str] = &[
    "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA",
    "ES256K",
];

impl<'m> Flow<'m> {
    pub(crate) fn new(module: &'m Module, family: Family, text: &'m [u8]) -> Self {
        let mut by_path: HashMap<&str, Vec<&Expr>> = HashMap::new();
        let mut by_last: HashMap<&str, HashSet<&str>> = HashMap::new();
        for b in &module.bindings {
            by_path.entry(b.path.as_str()).or_default().push(&b.value);
            by_last
                .entry(last(&b.path))
                .or_default()
                .insert(b.path.as_str());
        }
        Flow {
            module,
            family,
            text,
            by_path,
            by_last,
        }
    }

    fn line(&self, at: usize) -> usize {
        self.text
            .get(..at)
            .map_or(1, |t| t.iter().filter(|&&b| b == b'\n').count() + 1)
    }

    // ---- following values

    /// The values bound to `path`, trying `self.x` and `x` for each other,
    /// members of bound objects, and last the one binding that ends in the
    /// same name.
    fn bound(&self, path: &str) -> Vec<&'m Expr> {
        if let Some(v) = self.by_path.get(path) {
            return v.clone();
        }
        let alt = match path.strip_prefix("self.") {
            Some(bare) => bare.to_owned(),
            None => format!("self.{path}"),
        };
        if let Some(v) = self.by_path.get(alt.as_str()) {
            return v.clone();
        }
        if let Some((head, tail)) = path.rsplit_once('.') {
            let owners = self.bound_exact(head);
            let members: Vec<&Expr> = owners
                .into_iter()
                .filter_map(|o| match o {
                    Expr::Object { pairs, .. } => member(pairs, &[tail]),
                    _ => None,
                })
                .collect();
            if !members.is_empty() {
                return members;
            }
            if let Some(paths) = self.by_last.get(tail) {
                if paths.len() == 1 {
                    if let Some(p) = paths.iter().next() {
                        return self.by_path.get(p).cloned().unwrap_or_default();
                    }
                }
            }
        }
        Vec::new()
    }

    fn bound_exact(&self, path: &str) -> Vec<&'m Expr> {
        if let Some(v) = self.by_path.get(path) {
            return v.clone();
        }
        // A nested member: `config.jwt.secret` in `config = {jwt: {secret}}`.
        if let Some((head, tail)) = path.rsplit_once('.') {
            return self
                .bound_exact(head)
                .into_iter()
                .filter_map(|o| match o {
                    Expr::Object { pairs, .. } => member(pairs, &[tail]),
                    _ => None,
                })
                .collect();
        }
        Vec::new()
    }

    fn env_path(path: &str) -> Option<&str> {
        [
            "process.env.",
            "import.meta.env.",
            "os.environ.",
            "ENV.",
            "Deno.env.",
        ]
        .iter()
        .find_map(|p| path.strip_prefix(p))
    }

    /// `config.jwt.secret` where `config` names an import: that module's
    /// `jwt.secret` (or the imported name's).
    fn imported(&self, path: &str, h: usize) -> Option<Val> {
        let (head, rest) = path.split_once('.')?;
        let bound = self.by_path.get(head)?;
        let [Expr::Call(call)] = bound.as_slice() else {
            return None;
        };
        if !matches!(call.name.as_str(), "import" | "require") {
            return None;
        }
        match self.call_value(call, h) {
            Val::Import { module, name } => Some(Val::Import {
                module,
                name: join_path(&name, rest),
            }),
            _ => None,
        }
    }

    /// A name bound nowhere in this file: in Go, a package-level name of
    /// another file of the package; in Java and Kotlin, a class of the same
    /// package (`Config.SECRET`).
    fn unbound(&self, path: &str) -> Val {
        let constant = root(path).starts_with(|c: char| c.is_ascii_uppercase())
            && !self.by_path.contains_key(root(path));
        if self.family == Family::Ruby && constant {
            // A constant of a file this one requires, or of a Rails initializer.
            let mut from: Vec<Val> = self
                .module
                .calls
                .iter()
                .filter(|c| c.recv.is_none() && c.name == "require_relative")
                .filter_map(|c| match arg(&c.args, 0, "") {
                    Some(Expr::Str { text, .. }) => Some(Val::Import {
                        module: format!("./{text}"),
                        name: path.to_owned(),
                    }),
                    _ => None,
                })
                .collect();
            from.push(Val::Import {
                module: String::new(),
                name: path.to_owned(),
            });
            return Val::Alt(from);
        }
        let same_package = match self.family {
            Family::Go => !self.by_path.contains_key(root(path)),
            Family::Jvm => {
                path.contains('.')
                    && root(path).starts_with(|c: char| c.is_ascii_uppercase())
                    && !self.by_path.contains_key(root(path))
            }
            _ => false,
        };
        if same_package {
            Val::Import {
                module: String::new(),
                name: path.to_owned(),
            }
        } else {
            Val::Unknown
        }
    }

    fn value(&self, e: &'m Expr, hops: usize) -> Val {
        if hops > MAX_HOPS {
            return Val::Unknown;
        }
        let h = hops + 1;
        match e {
            Expr::Str { text, at } => Val::Lit {
                text: text.clone(),
                at: *at,
            },
            Expr::Concat(parts) => {
                let written = parts.iter().find_map(|p| match p {
                    Expr::Str { at, .. } => Some(*at),
                    _ => None,
                });
                Val::Concat(parts.iter().map(|p| self.value(p, h)).collect(), written)
            }
            Expr::Path(p, _) => {
                if let Some(var) = Self::env_path(p) {
                    return Val::Env(var.to_owned());
                }
                if let Some(imported) = self.imported(p, h) {
                    return imported;
                }
                let values: Vec<Val> = self
                    .bound(p)
                    .into_iter()
                    .map(|v| self.value(v, h))
                    .collect();
                match values.len() {
                    0 => self.unbound(p),
                    1 => values.into_iter().next().unwrap_or(Val::Unknown),
                    _ => Val::Alt(values),
                }
            }
            Expr::Either(a, b) => Val::Alt(vec![self.value(a, h), self.value(b, h)]),
            Expr::Call(call) => self.call_value(call, h),
            Expr::Member(obj, name) => match obj.as_ref() {
                Expr::Object { pairs, .. } => {
                    member(pairs, &[name.as_str()]).map_or(Val::Unknown, |v| self.value(v, h))
                }
                // `const { secret } = require("./config")`.
                Expr::Call(call) => match self.call_value(call, h) {
                    Val::Import { module, name: base } => Val::Import {
                        module,
                        name: join_path(&base, name),
                    },
                    _ => Val::Unknown,
                },
                _ => Val::Unknown,
            },
            Expr::Func(returns) => match returns.as_slice() {
                [one] => self.value(one, h),
                [] => Val::Unknown,
                many => Val::Alt(many.iter().map(|r| self.value(r, h)).collect()),
            },
            _ => Val::Unknown,
        }
    }

    /// A call's value: environment reads, conversions, key constructors and
    /// format calls pass their input on; anything else is unknown.
    fn call_value(&self, call: &'m Call, h: usize) -> Val {
        let path = call.path.as_deref().unwrap_or_default();
        let name = call.name.as_str();
        let first = || arg(&call.args, 0, "");
        // Environment reads, with their defaults.
        let env_read = matches!(
            path,
            "os.getenv"
                | "getenv"
                | "os.environ.get"
                | "environ.get"
                | "os.Getenv"
                | "os.LookupEnv"
                | "System.getenv"
                | "System.getProperty"
                | "ENV.fetch"
                | "env.var"
                | "std.env.var"
                | "env.var_os"
                | "dotenv.var"
                | "Deno.env.get"
                | "config"
                | "env"
        );
        if env_read {
            let var = match first() {
                Some(Expr::Str { text, .. }) => text.clone(),
                _ => return Val::Unknown,
            };
            let default = arg(&call.args, 1, "default");
            return match default {
                Some(d) => Val::Alt(vec![Val::Env(var), self.value(d, h)]),
                None => Val::Env(var),
            };
        }
        let recv = || call.recv.as_ref();
        let text_of = |e: Option<&Expr>| match e {
            Some(Expr::Str { text, .. }) => Some(text.clone()),
            _ => None,
        };
        match name {
            // An import (see `syntax::lower`), or CommonJS `require("./config")`.
            "import" if call.recv.is_none() => {
                match (
                    text_of(arg(&call.args, usize::MAX, "module")),
                    text_of(arg(&call.args, usize::MAX, "name")),
                ) {
                    (Some(module), name) => Val::Import {
                        module,
                        name: name.unwrap_or_default(),
                    },
                    (None, _) => Val::Unknown,
                }
            }
            "require" if call.recv.is_none() && self.family == Family::Js => text_of(first())
                .map_or(Val::Unknown, |module| Val::Import {
                    module,
                    name: String::new(),
                }),
            // `x.unwrap_or("dev")`, `Optional...orElse("dev")`, `getOrDefault("X", "dev")`.
            "unwrap_or" | "unwrap_or_else" | "orElse" | "or" => {
                let mut alts = Vec::new();
                if let Some(r) = recv() {
                    alts.push(self.value(r, h));
                }
                if let Some(d) = first() {
                    alts.push(self.value(d, h));
                }
                Val::Alt(alts)
            }
            "getOrDefault" => match (first(), arg(&call.args, 1, "")) {
                (Some(Expr::Str { text, .. }), Some(d)) => {
                    Val::Alt(vec![Val::Env(text.clone()), self.value(d, h)])
                }
                _ => Val::Unknown,
            },
            // Conversions of the value they are called on.
            "getBytes" | "as_bytes" | "as_ref" | "to_string" | "to_owned" | "into"
            | "toByteArray" | "bytes" | "toString" | "trim" | "strip" | "unwrap" | "expect"
            | "clone" | "as_str" | "into_bytes" | "to_vec" | "encodeToByteArray"
            | "toCharArray" | "freeze" | "to_s" => {
                recv().map_or(Val::Unknown, |r| self.value(r, h))
            }
            // `"x".encode()` in Python, Ruby, Rust; `encoder.encode("x")` elsewhere.
            "encode" | "decode" => {
                let on_arg = matches!(self.family, Family::Js | Family::Jvm | Family::Go)
                    && !call.args.is_empty();
                if on_arg {
                    first().map_or(Val::Unknown, |a| self.value(a, h))
                } else {
                    recv().map_or(Val::Unknown, |r| self.value(r, h))
                }
            }
            // Conversions of their argument, and key constructors.
            "[]byte" | "[]uint8" | "from" | "str" | "String" | "valueOf" | "b64decode"
            | "urlsafe_b64decode" | "DecodeString" | "hmacShaKeyFor" | "SecretKeySpec"
            | "HMAC256" | "HMAC384" | "HMAC512" | "from_secret" | "from_base64_secret"
            | "from_bytes" | "new_from_slice" | "createSecretKey" | "MACSigner" | "MACVerifier"
            | "Vec" | "TextEncoder" => first().map_or(Val::Unknown, |a| self.value(a, h)),
            // Format calls: the format and its arguments, joined.
            "Sprintf" | "format" | "formatted" => {
                let mut parts = Vec::new();
                if let Some(Expr::Str { .. }) = recv() {
                    parts.extend(recv().map(|r| self.value(r, h)));
                }
                parts.extend(call.args.iter().map(|a| self.value(&a.value, h)));
                let written = match recv().or_else(first) {
                    Some(Expr::Str { at, .. }) => Some(*at),
                    _ => None,
                };
                Val::Concat(parts, written)
            }
            // A function of this file: what it returns.
            _ if call.recv.is_none() => match self.by_path.get(path) {
                Some(values) => match values.as_slice() {
                    [f @ Expr::Func(_)] => self.value(f, h),
                    _ => Val::Unknown,
                },
                // Or of another file: `config.JWTKey()`, Go's `jwtKey()`.
                None if !path.is_empty() => {
                    self.imported(path, h).unwrap_or_else(|| self.unbound(path))
                }
                None => Val::Unknown,
            },
            _ => match &call.recv {
                Some(Expr::Path(p, _)) => self
                    .imported(&format!("{p}.{name}"), h)
                    .unwrap_or(Val::Unknown),
                _ => Val::Unknown,
            },
        }
    }

    // ---- where values go

    /// Whether the module `path` names (through its import) is a JWT library,
    /// or the name itself says so.
    fn jwt_root(&self, path: &str) -> bool {
        let r = root(path);
        let says = |t: &str| {
            let t = t.to_ascii_lowercase();
            t.contains("jwt") || t.contains("jose") || t.contains("jsonwebtoken")
        };
        if says(r) {
            return true;
        }
        self.by_path.get(r).is_some_and(|values| {
            values.iter().any(|v| match v {
                Expr::Call(c) if matches!(c.name.as_str(), "import" | "require") => {
                    matches!(arg(&c.args, 0, ""), Some(Expr::Str { text, .. }) if says(text))
                }
                _ => false,
            })
        })
    }

    /// Whether the import bound to `path`'s root names `needle`.
    fn imported_from(&self, path: &str, needle: &str) -> bool {
        self.by_path.get(root(path)).is_some_and(|values| {
            values.iter().any(|v| match v {
                Expr::Call(c) if c.name == "import" => {
                    matches!(arg(&c.args, 0, ""), Some(Expr::Str { text, .. }) if text.contains(needle))
                }
                _ => false,
            })
        })
    }

    /// The names of the calls in a method chain, innermost first.
    fn chain(call: &'m Call) -> Vec<&'m Call> {
        let mut out = vec![call];
        let mut cur = call;
        while let Some(Expr::Call(inner)) = &cur.recv {
            out.push(inner);
            cur = inner;
        }
        out.reverse();
        out
    }

    fn callee(call: &Call) -> String {
        call.path
            .clone()
            .unwrap_or_else(|| format!(".{}", call.name))
    }

    /// The key arguments of the JWT calls in this file.
    fn sinks(&self) -> Vec<Sink<'m>> {
        let mut out = Vec::new();
        for call in &self.module.calls {
            let path = call.path.as_deref().unwrap_or_default();
            let recv_path = match &call.recv {
                Some(Expr::Path(p, _)) => p.as_str(),
                _ => path,
            };
            let name = call.name.as_str();
            let key: Option<&Expr> = match (self.family, name) {
                (Family::Js, "sign" | "verify")
                    if self.jwt_root(recv_path) && call.recv.is_some() =>
                {
                    arg(&call.args, 1, "")
                }
                (Family::Js, "sign" | "verify") if call.recv.is_none() && self.jwt_root(path) => {
                    arg(&call.args, 1, "")
                }
                (Family::Js, "sign") if Self::chain(call).iter().any(|c| c.name == "SignJWT") => {
                    arg(&call.args, 0, "")
                }
                (Family::Js, "jwtVerify") => arg(&call.args, 1, ""),
                (Family::Js, "createSecretKey") => arg(&call.args, 0, ""),
                (Family::Python, "encode") if self.jwt_root(recv_path) => {
                    let index = if self.imported_from(recv_path, "authlib") {
                        2
                    } else {
                        1
                    };
                    arg(&call.args, index, "key")
                }
                (Family::Python, "decode") if self.jwt_root(recv_path) => arg(&call.args, 1, "key"),
                (Family::Go, "SignedString") => arg(&call.args, 0, ""),
                (Family::Go, "Parse" | "ParseWithClaims") if self.jwt_root(path) => {
                    call.args.last().map(|a| &a.value)
                }
                (Family::Go, "New") if path.ends_with("jwtauth.New") => arg(&call.args, 1, ""),
                (
                    Family::Jvm,
                    "HMAC256" | "HMAC384" | "HMAC512" | "hmacShaKeyFor" | "setSigningKey"
                    | "verifyWith" | "decryptWith" | "SecretKeySpec" | "MACSigner" | "MACVerifier",
                ) => arg(&call.args, 0, ""),
                (Family::Jvm, "signWith") => {
                    let first_is_alg = matches!(arg(&call.args, 0, ""), Some(Expr::Path(p, _)) if p.contains("SignatureAlgorithm"));
                    arg(&call.args, usize::from(first_is_alg), "")
                }
                (Family::Ruby, "encode" | "decode") if root(recv_path) == "JWT" => {
                    arg(&call.args, 1, "")
                }
                (Family::Rust, "from_secret" | "from_base64_secret" | "new_from_slice") => {
                    arg(&call.args, 0, "")
                }
                (Family::Rust, "from_bytes") if path.contains("HS") => arg(&call.args, 0, ""),
                _ => None,
            };
            if let Some(key) = key {
                out.push(Sink {
                    key,
                    label: Self::callee(call),
                    at: call.at,
                });
            }
            // Middleware options: `expressjwt({ secret })`, `echojwt.Config{SigningKey: ...}`.
            if matches!(self.family, Family::Js) {
                for a in &call.args {
                    if let Expr::Object { pairs, .. } = &a.value {
                        if let Some(v) = member(pairs, SECRET_MEMBERS) {
                            out.push(Sink {
                                key: v,
                                label: Self::callee(call),
                                at: call.at,
                            });
                        }
                    }
                }
            }
        }
        for b in &self.module.bindings {
            if CONFIG_KEYS.contains(&last(&b.path))
                && matches!(self.family, Family::Python | Family::Ruby)
            {
                out.push(Sink {
                    key: &b.value,
                    label: b.path.clone(),
                    at: b.at,
                });
            }
            if self.family == Family::Go {
                if let Expr::Object { pairs, .. } = &b.value {
                    if let Some(v) = member(pairs, &["SigningKey"]) {
                        out.push(Sink {
                            key: v,
                            label: "SigningKey".to_owned(),
                            at: b.at,
                        });
                    }
                }
            }
        }
        out
    }

    /// The secret findings, the literals that reached a key, and the key
    /// arguments that name another file's values (for `scan::imports`).
    pub(crate) fn secrets(
        &self,
        path: &str,
        hits: &mut Vec<Hit>,
        found: &mut Vec<TreeSecret>,
        imports: &mut Vec<Imported>,
    ) {
        let mut reported: HashSet<usize> = HashSet::new();
        for sink in self.sinks() {
            let val = self.value(sink.key, 0);
            let line = self.line(sink.at);
            let here = format!("{} (line {line})", sink.label);
            self.judge(&val, false, &here, &mut reported, hits, found);
            let there = format!("{} ({path}:{line})", sink.label);
            collect_imports(&val, false, &mut |module, name, beside_env| {
                imports.push(Imported {
                    from: path.to_owned(),
                    module,
                    name,
                    beside_env,
                    reaches: there.clone(),
                });
            });
        }
    }

    /// What this file gives under the name another file imported, judged as
    /// a key (`path` is this file's); the values it names in turn from
    /// further files go to `next`.
    pub(crate) fn exported(
        &self,
        path: &str,
        imported: &Imported,
        hits: &mut Vec<Hit>,
        found: &mut Vec<TreeSecret>,
        next: &mut Vec<Imported>,
    ) {
        let name = imported.name.as_str();
        let candidates: Vec<String> = match (self.family, name.split_once('.')) {
            (Family::Js, _) if name == "default" || name.starts_with("default.") => {
                let rest = name.strip_prefix("default").unwrap_or_default();
                vec![name.to_owned(), format!("module.exports{rest}")]
            }
            (Family::Js, _) => vec![
                name.to_owned(),
                format!("module.exports.{name}"),
                format!("exports.{name}"),
            ],
            // `Config::SECRET` in `module Config; SECRET = ...; end`.
            (Family::Ruby, Some(_))
                if name
                    .split('.')
                    .all(|s| s.starts_with(|c: char| c.is_ascii_uppercase())) =>
            {
                vec![name.to_owned(), last(name).to_owned()]
            }
            _ => vec![name.to_owned()],
        };
        // Only what the module itself binds: a function's local of the same
        // name is not what was imported.
        let Some(target) = candidates.into_iter().find(|c| self.exports(c)) else {
            return;
        };
        let val = self.value(&Expr::Path(target, 0), 0);
        let mut reported = HashSet::new();
        self.judge(
            &val,
            imported.beside_env,
            &imported.reaches,
            &mut reported,
            hits,
            found,
        );
        collect_imports(
            &val,
            imported.beside_env,
            &mut |module, name, beside_env| {
                next.push(Imported {
                    from: path.to_owned(),
                    module,
                    name,
                    beside_env,
                    reaches: imported.reaches.clone(),
                });
            },
        );
    }

    /// Whether `path` names what the module binds outside its functions:
    /// a top-level name, a member of one (`module.exports.jwt.secret`), or a
    /// class attribute reached through an instance (`settings.JWT_SECRET`).
    fn exports(&self, path: &str) -> bool {
        let top = |p: &str| self.module.bindings.iter().any(|b| b.top && b.path == p);
        if top(path) {
            return true;
        }
        let Some((head, _)) = path.rsplit_once('.') else {
            return false;
        };
        if self.exports(head) && !self.bound_exact(path).is_empty() {
            return true;
        }
        top(root(path))
            && self
                .by_last
                .get(last(path))
                .is_some_and(|paths| paths.len() == 1 && paths.iter().all(|p| top(p)))
    }

    /// Judges the literals of a value that reaches a key (`reaches`: the
    /// call and where), once per literal.
    fn judge(
        &self,
        val: &Val,
        beside_env: bool,
        reaches: &str,
        reported: &mut HashSet<usize>,
        hits: &mut Vec<Hit>,
        found: &mut Vec<TreeSecret>,
    ) {
        let mut out = Vec::new();
        classify(val, beside_env, &mut out);
        for (kind, at, text) in out {
            if !reported.insert(at) {
                continue;
            }
            if text.contains("PUBLIC KEY") || text.contains("-----BEGIN") {
                continue;
            }
            let judgement = config::judge(&text);
            if matches!(judgement, Judgement::Reference) {
                continue;
            }
            if kind != Kind::Predictable && !text.is_empty() {
                found.push((at, zeroize::Zeroizing::new(text.clone().into_bytes())));
            }
            let (rule, base) = match kind {
                Kind::Hardcoded => (
                    "jwt-hardcoded-secret",
                    format!("a JWT secret is written in the source and reaches {reaches}"),
                ),
                Kind::Fallback => (
                    "jwt-secret-fallback",
                    format!("a JWT secret falls back to a literal when the environment lacks it; it reaches {reaches}"),
                ),
                Kind::Predictable => (
                    "jwt-predictable-secret",
                    format!("a JWT secret is built from an environment value that is not secret and a literal; it reaches {reaches}"),
                ),
            };
            let (severity, message) = match judgement {
                Judgement::Weak { reason, .. } if kind != Kind::Predictable => (
                    Some(Severity::Critical),
                    format!("{base}, and it is weak: {reason}"),
                ),
                _ => (None, base),
            };
            hits.push(Hit {
                rule,
                severity,
                at,
                message,
            });
        }
    }

    // ---- rules that need structure

    /// Whether the object (or the object bound to the name) sets one of `keys`,
    /// or the name is given one later (`payload["exp"] = ...`); `None` when unknown.
    fn sets(&self, e: &'m Expr, keys: &[&str], hops: usize) -> Option<bool> {
        if hops > MAX_HOPS {
            return None;
        }
        match e {
            Expr::Object {
                pairs, ty, items, ..
            } => {
                if member(pairs, keys).is_some() {
                    return Some(true);
                }
                // A struct whose declaration has the field (Rust requires it set).
                if let Some(ty) = ty {
                    let name = last(ty);
                    if let Some((_, fields)) = self.module.structs.iter().find(|(n, _)| n == name) {
                        if fields.iter().any(|f| keys.contains(&f.as_str())) && !pairs.is_empty() {
                            return Some(true);
                        }
                    }
                }
                // Go: embedded registered claims set inside.
                for (k, v) in pairs {
                    if matches!(k.as_str(), "RegisteredClaims" | "StandardClaims") {
                        return self.sets(v, keys, hops + 1);
                    }
                }
                // Spread objects (`{ ...options }`) and positional values.
                self.any_sets(items, keys, hops)
            }
            Expr::Path(p, _) => {
                if keys
                    .iter()
                    .any(|k| self.by_path.contains_key(format!("{p}.{k}").as_str()))
                {
                    return Some(true);
                }
                let values = self.bound(p);
                if values.is_empty() {
                    return None;
                }
                self.any_sets(values, keys, hops)
            }
            Expr::Call(c) if c.new && c.args.is_empty() => Some(false),
            _ => None,
        }
    }

    /// Whether one of `values` sets one of `keys`: yes when one does,
    /// unknown when one cannot be told, else no.
    fn any_sets(
        &self,
        values: impl IntoIterator<Item = &'m Expr>,
        keys: &[&str],
        hops: usize,
    ) -> Option<bool> {
        let mut unknown = false;
        for v in values {
            match self.sets(v, keys, hops + 1) {
                Some(true) => return Some(true),
                None => unknown = true,
                Some(false) => {}
            }
        }
        if unknown {
            None
        } else {
            Some(false)
        }
    }

    /// `jwt-no-expiry`: tokens signed with no `exp`.
    pub(crate) fn expiry(&self, hits: &mut Vec<Hit>) {
        for call in &self.module.calls {
            let path = call.path.as_deref().unwrap_or_default();
            let recv_path = match &call.recv {
                Some(Expr::Path(p, _)) => p.as_str(),
                _ => path,
            };
            let missing = match (self.family, call.name.as_str()) {
                (Family::Js, "sign") if call.recv.is_some() && self.jwt_root(recv_path) => {
                    let payload = arg(&call.args, 0, "");
                    let options = arg(&call.args, 2, "");
                    let in_payload = payload.and_then(|p| self.sets(p, &["exp"], 0));
                    let in_options = match options {
                        None => Some(false),
                        Some(o) => self.sets(o, &["expiresIn", "exp"], 0),
                    };
                    in_payload != Some(true) && in_options == Some(false)
                }
                (Family::Js, "sign") if Self::chain(call).iter().any(|c| c.name == "SignJWT") => {
                    let chain = Self::chain(call);
                    let set_in_chain = chain.iter().any(|c| c.name == "setExpirationTime");
                    let payload = chain
                        .iter()
                        .find(|c| c.name == "SignJWT")
                        .and_then(|c| arg(&c.args, 0, ""));
                    let in_payload = payload.and_then(|p| self.sets(p, &["exp"], 0));
                    !set_in_chain && in_payload == Some(false)
                }
                (Family::Python, "encode") if self.jwt_root(recv_path) => {
                    let index = usize::from(self.imported_from(recv_path, "authlib"));
                    arg(&call.args, index, "payload").and_then(|p| self.sets(p, &["exp"], 0))
                        == Some(false)
                }
                (Family::Ruby, "encode") if root(recv_path) == "JWT" => {
                    arg(&call.args, 0, "").and_then(|p| self.sets(p, &["exp"], 0)) == Some(false)
                }
                (Family::Go, "NewWithClaims") if self.jwt_root(path) => {
                    arg(&call.args, 1, "").and_then(|c| self.sets(c, &["exp", "ExpiresAt"], 0))
                        == Some(false)
                }
                (Family::Rust, "encode")
                    if call.args.len() == 3 && call.recv.is_none()
                        || path == "jsonwebtoken.encode" =>
                {
                    arg(&call.args, 1, "").and_then(|c| self.sets(c, &["exp"], 0)) == Some(false)
                }
                (Family::Jvm, "compact") => {
                    let chain = Self::chain(call);
                    chain.iter().any(|c| c.name == "builder")
                        && !chain.iter().any(|c| {
                            matches!(
                                c.name.as_str(),
                                "setExpiration"
                                    | "expiration"
                                    | "setClaims"
                                    | "claims"
                                    | "addClaims"
                            )
                        })
                }
                (Family::Jvm, "sign") => {
                    let chain = Self::chain(call);
                    chain.iter().any(|c| {
                        c.name == "create"
                            && c.path.as_deref().is_some_and(|p| p.ends_with("JWT.create"))
                    }) && !chain
                        .iter()
                        .any(|c| matches!(c.name.as_str(), "withExpiresAt" | "withPayload"))
                }
                _ => false,
            };
            if missing {
                hits.push(Hit {
                    rule: "jwt-no-expiry",
                    severity: None,
                    at: call.at,
                    message: format!("a token is signed by {} with no expiry", Self::callee(call)),
                });
            }
        }
    }

    /// Every expression the file holds at the top of a binding or an argument.
    fn roots(&self) -> impl Iterator<Item = &'m Expr> {
        self.module.bindings.iter().map(|b| &b.value).chain(
            self.module
                .calls
                .iter()
                .flat_map(|c| c.args.iter().map(|a| &a.value)),
        )
    }

    /// `jwt-mixed-algorithms` and `none` in algorithm lists.
    pub(crate) fn algorithms(&self, hits: &mut Vec<Hit>) {
        let mut seen = HashSet::new();
        let mut stack: Vec<&Expr> = self.roots().collect();
        while let Some(e) = stack.pop() {
            let (items, at) = match e {
                Expr::List(items, at) => (items.as_slice(), *at),
                Expr::Object {
                    items, at, pairs, ..
                } => {
                    stack.extend(pairs.iter().map(|(_, v)| v));
                    (items.as_slice(), *at)
                }
                _ => continue,
            };
            let names: Vec<&str> = items
                .iter()
                .filter_map(|i| match i {
                    Expr::Str { text, .. } => Some(text.as_str()),
                    Expr::Path(p, _) => Some(last(p)),
                    _ => None,
                })
                .collect();
            let is_alg = |n: &str| {
                ALGS_SYMMETRIC.contains(&n)
                    || ALGS_ASYMMETRIC.contains(&n)
                    || n.eq_ignore_ascii_case("none")
            };
            if names.len() != items.len()
                || names.is_empty()
                || !names.iter().all(|n| is_alg(n))
                || !seen.insert(at)
            {
                continue;
            }
            if names.iter().any(|n| n.eq_ignore_ascii_case("none")) {
                hits.push(Hit {
                    rule: "jwt-none-alg",
                    severity: None,
                    at,
                    message: "an algorithms list allows `none`".to_owned(),
                });
            } else if names.iter().any(|n| ALGS_SYMMETRIC.contains(n))
                && names.iter().any(|n| ALGS_ASYMMETRIC.contains(n))
            {
                hits.push(Hit {
                    rule: "jwt-mixed-algorithms",
                    severity: None,
                    at,
                    message: format!(
                        "an algorithms list mixes HMAC and public-key algorithms ({})",
                        names.join(", ")
                    ),
                });
            }
        }
    }

    fn mentions_token(&self, e: Option<&Expr>) -> bool {
        match e {
            Some(Expr::Str { text, .. }) => tokenish(text),
            Some(Expr::Path(p, _)) => tokenish(last(p)),
            Some(Expr::Concat(parts)) => parts.iter().any(|p| self.mentions_token(Some(p))),
            Some(Expr::Call(c)) => tokenish(&c.name),
            _ => false,
        }
    }

    /// Which of the cookie flags an options value leaves out; `None` when unknown.
    fn missing_flags(
        &self,
        options: Option<&'m Expr>,
        flags: [&'static str; 3],
    ) -> Option<Vec<&'static str>> {
        let pairs: &[(String, Expr)] = match options {
            None => &[],
            Some(Expr::Object { pairs, .. }) => pairs,
            Some(Expr::Path(p, _)) => match self.bound(p).as_slice() {
                [Expr::Object { pairs, .. }] => pairs,
                _ => return None,
            },
            Some(_) => return None,
        };
        Some(self.flags_missing(pairs, flags))
    }

    fn flags_missing(
        &self,
        pairs: &[(String, Expr)],
        flags: [&'static str; 3],
    ) -> Vec<&'static str> {
        let [http_only, secure, same_site] = flags;
        let mut missing = Vec::new();
        let get = |k: &str| member(pairs, &[k]);
        if !matches!(get(http_only), Some(Expr::Bool(true))) {
            missing.push(http_only);
        }
        if matches!(get(secure), None | Some(Expr::Bool(false))) {
            missing.push(secure);
        }
        if get(same_site).is_none() {
            missing.push(same_site);
        }
        missing
    }

    /// `jwt-insecure-cookie`: token cookies without HttpOnly, Secure or SameSite.
    pub(crate) fn cookies(&self, hits: &mut Vec<Hit>) {
        let mut push = |at: usize, how: String| {
            hits.push(Hit {
                rule: "jwt-insecure-cookie",
                severity: None,
                at,
                message: how,
            });
        };
        for call in &self.module.calls {
            let missing = match (self.family, call.name.as_str()) {
                (Family::Js, "cookie" | "setCookie") if call.recv.is_some() => {
                    if !self.mentions_token(arg(&call.args, 0, ""))
                        && !self.mentions_token(arg(&call.args, 1, ""))
                    {
                        continue;
                    }
                    self.missing_flags(arg(&call.args, 2, ""), ["httpOnly", "secure", "sameSite"])
                }
                (Family::Python, "set_cookie") => {
                    if !self.mentions_token(arg(&call.args, 0, "key"))
                        && !self.mentions_token(arg(&call.args, 1, "value"))
                    {
                        continue;
                    }
                    let pairs: Vec<(String, Expr)> = call
                        .args
                        .iter()
                        .filter_map(|a| a.name.clone().map(|n| (n, a.value.clone())))
                        .collect();
                    Some(self.flags_missing(&pairs, ["httponly", "secure", "samesite"]))
                }
                _ => None,
            };
            if let Some(missing) = missing.filter(|m| !m.is_empty()) {
                push(
                    call.at,
                    format!("a token cookie is set without {}", missing.join(", ")),
                );
            }
        }
        for b in &self.module.bindings {
            if self.family == Family::Js
                && b.path == "document.cookie"
                && self.mentions_token(Some(&b.value))
            {
                push(b.at, "a token cookie is set through document.cookie: scripts can always read it (it cannot be HttpOnly)".to_owned());
            }
        }
        if self.family == Family::Go {
            let mut stack: Vec<&Expr> = self.roots().collect();
            let mut seen = HashSet::new();
            while let Some(e) = stack.pop() {
                if let Expr::Object { ty, pairs, at, .. } = e {
                    stack.extend(pairs.iter().map(|(_, v)| v));
                    let is_cookie = ty.as_deref().is_some_and(|t| last(t) == "Cookie");
                    if is_cookie
                        && seen.insert(*at)
                        && (self.mentions_token(member(pairs, &["Name"]))
                            || self.mentions_token(member(pairs, &["Value"])))
                    {
                        let missing = self.flags_missing(pairs, ["HttpOnly", "Secure", "SameSite"]);
                        if !missing.is_empty() {
                            push(
                                *at,
                                format!("a token cookie is set without {}", missing.join(", ")),
                            );
                        }
                    }
                }
            }
        }
    }

    /// Whether a call decodes a token without checking its signature.
    fn unverified_decode(&self, call: &Call) -> bool {
        let path = call.path.as_deref().unwrap_or_default();
        let recv_path = match &call.recv {
            Some(Expr::Path(p, _)) => p.as_str(),
            _ => path,
        };
        match (self.family, call.name.as_str()) {
            (Family::Js, "decode") => self.jwt_root(recv_path),
            (Family::Js, "decodeJwt") => true,
            (Family::Python, "get_unverified_claims" | "get_unverified_header") => true,
            (Family::Python, "decode") if self.jwt_root(recv_path) => {
                let verify_off = matches!(arg(&call.args, 99, "verify"), Some(Expr::Bool(false)));
                let options_off = match arg(&call.args, 99, "options") {
                    Some(Expr::Object { pairs, .. }) => {
                        matches!(
                            member(pairs, &["verify_signature"]),
                            Some(Expr::Bool(false))
                        )
                    }
                    _ => false,
                };
                verify_off || options_off
            }
            (Family::Go, "ParseUnverified") => true,
            (Family::Jvm, "decode") => root(recv_path) == "JWT",
            (Family::Ruby, "decode") => {
                root(recv_path) == "JWT"
                    && matches!(arg(&call.args, 2, ""), Some(Expr::Bool(false)))
            }
            (Family::Rust, n) => {
                n.starts_with("dangerous_insecure_decode") || n == "insecure_decode"
            }
            _ => false,
        }
    }

    /// `jwt-unverified-claims`: an unverified token's claims deciding access.
    pub(crate) fn unverified_claims(&self, hits: &mut Vec<Hit>) {
        // Names holding an unverified token, and names derived from them.
        let mut tainted: HashMap<String, usize> = HashMap::new();
        for b in &self.module.bindings {
            if let Expr::Call(c) = &b.value {
                if self.unverified_decode(c) {
                    tainted.insert(b.path.clone(), c.at);
                }
            }
        }
        if tainted.is_empty() {
            return;
        }
        for _ in 0..3 {
            for b in &self.module.bindings {
                if tainted.contains_key(&b.path) {
                    continue;
                }
                let from = match &b.value {
                    Expr::Path(p, _) => Some(root(p)),
                    Expr::Call(c) => match &c.recv {
                        Some(Expr::Path(p, _)) => Some(root(p)),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(at) = from.and_then(|r| tainted.get(r)).copied() {
                    tainted.insert(b.path.clone(), at);
                }
            }
        }
        let mut push = |at: usize, claim: &str, decoded: usize| {
            hits.push(Hit {
                rule: "jwt-unverified-claims",
                severity: None,
                at,
                message: format!(
                    "the `{claim}` claim of a token decoded without verification (line {}) decides access",
                    self.line(decoded)
                ),
            });
        };
        let mut seen = HashSet::new();
        for (path, at) in &self.module.reads {
            let Some(&decoded) = tainted.get(root(path)) else {
                continue;
            };
            if let Some(claim) = path.split('.').skip(1).find(|s| AUTHZ_CLAIMS.contains(s)) {
                if seen.insert(*at) {
                    push(*at, claim, decoded);
                }
            }
        }
        for call in &self.module.calls {
            let Some(Expr::Path(recv, _)) = &call.recv else {
                continue;
            };
            let Some(&decoded) = tainted.get(root(recv)) else {
                continue;
            };
            if let Some(Expr::Str { text, .. }) = arg(&call.args, 0, "") {
                if matches!(
                    call.name.as_str(),
                    "getClaim" | "get" | "claim" | "get_claim" | "fetch" | "dig"
                ) && AUTHZ_CLAIMS.contains(&text.as_str())
                    && seen.insert(call.at)
                {
                    push(call.at, text, decoded);
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Hardcoded,
    Fallback,
    Predictable,
}

/// The literals in a value that reaches a key, each with how it got there.
fn classify(val: &Val, beside_env: bool, out: &mut Vec<(Kind, usize, String)>) {
    match val {
        Val::Lit { text, at } => out.push((
            if beside_env {
                Kind::Fallback
            } else {
                Kind::Hardcoded
            },
            *at,
            text.clone(),
        )),
        Val::Alt(branches) => {
            let env = beside_env || branches.iter().any(not_literal);
            for b in branches {
                classify(b, env, out);
            }
        }
        Val::Concat(parts, written) => {
            let mut text = String::new();
            let mut first_at = None;
            let mut envs = Vec::new();
            for p in parts {
                match p {
                    Val::Lit { text: t, at } => {
                        text.push_str(t);
                        first_at.get_or_insert(*at);
                    }
                    Val::Env(v) => envs.push(v.as_str()),
                    // A part that is itself a choice: judge each whole separately.
                    _ => return,
                }
            }
            let Some(at) = written.or(first_at) else {
                return;
            };
            if envs.is_empty() {
                out.push((
                    if beside_env {
                        Kind::Fallback
                    } else {
                        Kind::Hardcoded
                    },
                    at,
                    text,
                ));
            } else if !envs.iter().any(|v| secret_var(v)) {
                out.push((Kind::Predictable, at, text));
            }
        }
        Val::Env(_) | Val::Import { .. } | Val::Unknown => {}
    }
}

/// Whether a branch of a choice may hold something other than a literal
/// written here (so that the literal beside it is a fallback).
fn not_literal(v: &Val) -> bool {
    matches!(
        v,
        Val::Env(_) | Val::Unknown | Val::Concat(..) | Val::Import { .. }
    )
}

/// The other files' values a key's value names: `(module, name, beside_env)`.
fn collect_imports(val: &Val, beside_env: bool, out: &mut dyn FnMut(String, String, bool)) {
    match val {
        Val::Import { module, name } => out(module.clone(), name.clone(), beside_env),
        Val::Alt(branches) => {
            // Another file's value beside it is no environment read.
            let env = beside_env
                || branches
                    .iter()
                    .any(|b| not_literal(b) && !matches!(b, Val::Import { .. }));
            for b in branches {
                collect_imports(b, env, out);
            }
        }
        // Joined to other parts, an imported value is part of a larger
        // secret: judged where the parts meet, not followed.
        Val::Concat(..) | Val::Lit { .. } | Val::Env(_) | Val::Unknown => {}
    }
}
