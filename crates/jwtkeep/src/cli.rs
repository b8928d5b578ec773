//! Every command and flag, defined once. Help texts end with examples.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jwtkeep_core::strength::InputEncoding;
use jwtkeep_core::Algorithm;

use crate::stores::StoreArgs;

/// JWT security as the default: strong secrets and keys, and checks for weak ones.
#[derive(Debug, Parser)]
#[command(
    name = "jwtkeep",
    version,
    propagate_version = true,
    after_help = "Examples:\n  jwtkeep gen secret                         one HS256 secret, base64url\n  jwtkeep gen secret --purpose access,refresh --env production --write\n  jwtkeep gen key --alg ES256 --out-dir keys/\n  printf '%s' \"$JWT_SECRET\" | jwtkeep check\n  jwtkeep check --dotenv .env.production .env.staging\n\nExit codes: 0 ok, 1 a finding (a weak secret), 2 a usage or input error."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate secrets and key pairs from the OS CSPRNG.
    #[command(subcommand)]
    Gen(GenCommand),
    /// Check secrets for length, known-weak values, placeholders, patterns, entropy and reuse.
    Check(CheckArgs),
    /// Sign, verify and inspect tokens, strictly (RFC 8725).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Audit a token: lint it and search for its HMAC secret among known-weak secrets.
    Audit(AuditArgs),
    /// Scan source code for hard-coded or weak secrets and dangerous JWT code.
    Scan(ScanArgs),
    /// Send the known JWT attacks to an endpoint you own and report what it accepts.
    Probe(ProbeArgs),
    /// Inspect keys: type, size, thumbprint, and whether jwtkeep accepts them.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Run the token service (SQLite in ./jwtkeep-data by default, or Redis for several instances).
    Serve(ServeArgs),
    /// Manage the service's users: add (with a password prompt), list, disable, enable.
    #[command(subcommand)]
    User(UserCommand),
    /// Revoke the service's tokens: every session of one user, or every token at once.
    #[command(subcommand)]
    Revoke(RevokeCommand),
    /// Rotate the service's signing keys now.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage the OAuth clients allowed to introspect and revoke tokens.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Initialise a shared store (Redis) before the first `jwtkeep serve`.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Forward authentication for nginx, Caddy, Traefik and Envoy: each request's token
    /// verified, revocations included, before the proxy passes it on.
    Gate(GateArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  jwtkeep completions bash > /etc/bash_completion.d/jwtkeep\n  jwtkeep completions zsh > \"${fpath[1]}/_jwtkeep\"\n  jwtkeep completions fish > ~/.config/fish/completions/jwtkeep.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
#[command(
    after_help = "The data directory (0700) holds the SQLite store and the master key file (0600) that\nseals the signing keys; JWTKEEP_MASTER_KEY (32 bytes, base64url) replaces the file, and\nis required with --store redis:// (or redis-cluster://HOST:PORT,HOST:PORT), whose signing\nkeys are shared by every instance; a Redis store is initialised once with `jwtkeep store init` before the first serve.\n\nBeyond loopback the service takes HTTPS only: serve TLS itself (--tls-cert, --tls-key), or\nsit behind --trusted-proxy proxies that terminate it and send X-Forwarded-Proto: https\n(any other request is refused with 403 https_required); an http:// issuer is refused.\n\nSettings come from defaults, then --config FILE (TOML; unknown keys refused), then JWTKEEP_<KEY> variables, then flags. Keys: listen, data_dir, store, store_prefix (jwtkeep:), issuer, audience, algorithm (ES256, EdDSA, RS256...), access_ttl_secs (900), refresh_ttl_secs (604800), confirm_ttl_secs (300), refresh_grace_secs (10), rotation_secs (604800), publish_ahead_secs (3600; at least jwks_max_age_secs + 11), jwks_max_age_secs (300: the JWKS's Cache-Control max-age, and how long a staged rotation publishes a key before it signs), login_attempts (5 per account and address), login_attempts_per_address (20), login_attempts_per_account (50), login_window_secs (900), trusted_proxies (a list of addresses or blocks; comma-separated in the variable), cookie_mode (false), allowed_origins (cookie mode's other origins; a list, comma-separated in the variable), cors_origins (browser apps on other origins allowed to call the service, exactly scheme://host[:port]; a list, comma-separated in the variable), tls_cert and tls_key (PEM files: HTTPS, TLS 1.2 and 1.3, the files re-read when they change), body_limit_bytes (16384), request_timeout_secs (10), header_read_timeout_secs (10), max_connections, password_hash_workers, password_hash_queue (16).\n\nExamples:\n  jwtkeep serve\n  jwtkeep serve --listen 0.0.0.0:8443 --tls-cert /etc/jwtkeep/cert.pem --tls-key /etc/jwtkeep/key.pem --issuer https://auth.example.com:8443\n  jwtkeep serve --listen 10.0.0.5:8080 --trusted-proxy 10.0.0.2 --issuer https://auth.example.com\n  jwtkeep serve --config /etc/jwtkeep.toml\n  JWTKEEP_MASTER_KEY=... JWTKEEP_STORE=redis://127.0.0.1:6379/0 jwtkeep serve"
)]
pub(crate) struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<std::net::SocketAddr>,
    /// Where the state lives, and the configuration file.
    #[command(flatten)]
    pub(crate) state: StoreArgs,
    /// The tokens' issuer (`iss`); by default the listen address as an http(s) URL.
    #[arg(long, value_name = "URL")]
    pub(crate) issuer: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (leaf first); re-read when it changes.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (not readable by every user); re-read when it changes.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Cookie mode: tokens in HttpOnly cookies, for browser applications.
    #[arg(long)]
    pub(crate) cookies: bool,
    /// In cookie mode, an origin allowed to make state-changing requests (repeatable).
    #[arg(long, value_name = "ORIGIN")]
    pub(crate) allowed_origin: Vec<String>,
    /// A reverse proxy (address or block, 10.0.0.0/8) whose Forwarded or
    /// X-Forwarded-For names the client that rate limits count (repeatable).
    #[arg(long, value_name = "CIDR")]
    pub(crate) trusted_proxy: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum GenCommand {
    /// Generate HMAC secrets (HS256/384/512), one per purpose, in the format your framework reads.
    Secret(GenSecretArgs),
    /// Generate a key pair (RSA, EC P-256/384/521, Ed25519) as PEM, JWK and JWKS.
    Key(GenKeyArgs),
    /// Write the generator web page (one self-contained HTML file that generates in the browser).
    WebPage(GenWebPageArgs),
}

#[derive(Debug, Args)]
#[command(
    after_help = "The page generates secrets and key pairs with the browser's own CSPRNG; its\nContent-Security-Policy forbids every network connection. It works from file://.\n\nExamples:\n  jwtkeep gen web-page jwt-generator.html\n  jwtkeep gen web-page docs/jwt.html --force"
)]
pub(crate) struct GenWebPageArgs {
    /// Where to write the page.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Sign a JWT: iat, exp (always) and a random jti are added.
    Sign(TokenSignArgs),
    /// Verify a JWT: algorithm bound to the key, exp required, iss/aud/typ checked.
    Verify(TokenVerifyArgs),
    /// Show a token's header and claims, UNVERIFIED, with lint findings.
    Inspect(TokenInspectArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Show a key's type, size and thumbprint, and whether jwtkeep accepts it.
    Inspect(KeyInspectArgs),
    /// Print the RFC 7638 thumbprint of each key in a JWK or JWKS file, computed from its members.
    Thumbprint(KeyThumbprintArgs),
}

#[derive(Debug, Args)]
#[command(
    after_help = "The thumbprint is computed from the key's members, whatever its kid says, for\nevery key type (oct secrets included: it is the kid `jwtkeep gen secret --format jwk`\nwrites). A mismatch with the kid is reported.\n\nExamples:\n  jwtkeep key thumbprint --key jwks.json\n  jwtkeep key thumbprint --key secret.jwk.json --json"
)]
pub(crate) struct KeyThumbprintArgs {
    /// A JWK or JWKS file.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// Machine-readable output.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Where a key comes from. HMAC secrets never come from argv.
#[derive(Debug, Args)]
pub(crate) struct KeySourceArgs {
    /// Key file: a JWK, a JWKS (the key is chosen by kid) or PEM (PKCS#8, SPKI, PKCS#1, SEC1).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["secret_env", "secret_file"])]
    pub(crate) key: Option<PathBuf>,
    /// Read the HMAC secret from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "secret_file")]
    pub(crate) secret_env: Option<String>,
    /// Read the HMAC secret from this file (one trailing newline is ignored).
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_file: Option<PathBuf>,
    /// How the secret's text becomes key bytes.
    #[arg(long, value_enum, default_value_t = CheckEncoding::Raw)]
    pub(crate) secret_encoding: CheckEncoding,
    /// Algorithm(s): must agree with the key's own; required for PEM keys and JWKs without alg.
    #[arg(long, value_name = "ALG[,ALG...]", value_delimiter = ',', value_parser = parse_alg)]
    pub(crate) alg: Vec<Algorithm>,
    /// Key id to give a single key.
    #[arg(long, value_name = "KID")]
    pub(crate) kid: Option<String>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  jwtkeep token sign --key keys/private.pem --alg ES256 --sub user-1 --aud api --iss https://auth.example\n  jwtkeep token sign --secret-env JWT_SECRET --sub user-1 --exp 5m --typ at+jwt\n  jwtkeep token sign --key private.jwk.json --claims-json claims.json --claim role=admin --claim level=3"
)]
pub(crate) struct TokenSignArgs {
    #[command(flatten)]
    pub(crate) source: KeySourceArgs,
    /// Subject (sub).
    #[arg(long)]
    pub(crate) sub: Option<String>,
    /// Issuer (iss).
    #[arg(long)]
    pub(crate) iss: Option<String>,
    /// Audience (aud); repeat for several.
    #[arg(long)]
    pub(crate) aud: Vec<String>,
    /// Lifetime: 30s, 15m, 1h, 7d (default 15m).
    #[arg(long, default_value = "15m", value_name = "DURATION")]
    pub(crate) exp: String,
    /// Token type (typ header), for example at+jwt.
    #[arg(long)]
    pub(crate) typ: Option<String>,
    /// A claim NAME=VALUE; VALUE is read as JSON when it parses, else as a string.
    #[arg(long, value_name = "NAME=VALUE")]
    pub(crate) claim: Vec<String>,
    /// Claims from a JSON object file, or - for stdin.
    #[arg(long, value_name = "FILE|-")]
    pub(crate) claims_json: Option<PathBuf>,
    /// Sign as of this Unix time instead of now.
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub(crate) now: Option<i64>,
    /// Machine-readable output.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  jwtkeep token verify \"$TOKEN\" --key jwks.json --iss https://auth.example --aud api --typ at+jwt\n  echo \"$TOKEN\" | jwtkeep token verify --secret-env JWT_SECRET --json\n  jwtkeep token verify \"$TOKEN\" --key public.pem --alg RS256 --now 1300819300\n\nExit codes: 0 valid, 1 rejected (the token or the key), 2 usage or I/O error."
)]
pub(crate) struct TokenVerifyArgs {
    /// The token, or - (or nothing) to read it from stdin.
    #[arg(value_name = "TOKEN")]
    pub(crate) token: Option<String>,
    #[command(flatten)]
    pub(crate) source: KeySourceArgs,
    /// Required issuer (iss), compared exactly.
    #[arg(long)]
    pub(crate) iss: Option<String>,
    /// Accepted audience (aud); repeat for several.
    #[arg(long)]
    pub(crate) aud: Vec<String>,
    /// Required token type (typ), for example at+jwt.
    #[arg(long)]
    pub(crate) typ: Option<String>,
    /// Clock-skew allowance in seconds (default 30, at most 300).
    #[arg(long, value_name = "SECS", default_value_t = jwtkeep_core::DEFAULT_LEEWAY_SECS)]
    pub(crate) leeway: u64,
    /// Verify as of this Unix time (for debugging and reproducible tests).
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub(crate) now: Option<i64>,
    /// Reject tokens whose lifetime (exp - iat) exceeds this: 15m, 1h, 1d.
    #[arg(long, value_name = "DURATION")]
    pub(crate) max_age: Option<String>,
    /// A claim that must be present; repeat for several.
    #[arg(long, value_name = "CLAIM")]
    pub(crate) require: Vec<String>,
    /// Check the signature only: for JWS whose payload is not a JWT.
    #[arg(long)]
    pub(crate) signature_only: bool,
    /// Accept tokens up to this many bytes (default 8192, at most 1048576):
    /// for tokens that carry many claims.
    #[arg(long, value_name = "BYTES", default_value_t = jwtkeep_core::MAX_TOKEN_BYTES)]
    pub(crate) max_token_bytes: usize,
    /// Machine-readable output.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Nothing is verified: use `jwtkeep token verify` to trust a token.\n\nExamples:\n  jwtkeep token inspect \"$TOKEN\"\n  pbpaste | jwtkeep token inspect --json"
)]
pub(crate) struct TokenInspectArgs {
    /// The token, or - (or nothing) to read it from stdin.
    #[arg(value_name = "TOKEN")]
    pub(crate) token: Option<String>,
    /// Judge expiry as of this Unix time.
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub(crate) now: Option<i64>,
    /// Machine-readable output.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The request method of `probe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ProbeMethod {
    /// GET.
    Get,
    /// POST with an empty body.
    Post,
}

#[derive(Debug, Args)]
#[command(
    after_help = "FOR ENDPOINTS YOU OWN OR ARE AUTHORISED TO TEST. The probe sends only to URL (and\nto --jwks when that is a URL), follows no redirects, stops at --max-requests and waits\nbetween requests (--rate per second).\n\nIt first sends your valid token, no token and a corrupted token to learn what success\nand refusal look like, then: alg none in four spellings, a stripped signature, a\nchanged payload under the old signature, RS/HS confusion with each public key of --jwks\n(PEM with and without final newline, JWK text), expired and not-yet-valid tokens (signed\nwith --key/--secret-env/--secret-file, or with the token's secret when it is on the\nbundled weak list), kid path traversal and SQL injection, an embedded jwk, jku and x5u\npointing at a fresh key, and the psychic ECDSA signature. An attack answered like the\nvalid token is reported with what to fix. For a loopback URL, the key jku names is\npublished on 127.0.0.1 and fetches are counted.\n\nExit codes: 0 no attack accepted, 1 at least one accepted, 2 usage, network or\nbaseline problem.\n\nExamples:\n  jwtkeep probe http://127.0.0.1:8080/v1/auth/me --token \"$TOKEN\" --jwks http://127.0.0.1:8080/.well-known/jwks.json\n  jwtkeep probe https://api.example.com/me --token - --header X-Auth-Token < token.txt\n  jwtkeep probe http://localhost:3000/api/profile --token \"$T\" --secret-env JWT_SECRET --json"
)]
pub(crate) struct ProbeArgs {
    /// The endpoint to probe.
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// A valid token for the endpoint, or - to read it from stdin (which keeps it out of the process list).
    #[arg(long, value_name = "TOKEN")]
    pub(crate) token: String,
    /// The header that carries the token (raw); by default `Authorization: Bearer`.
    #[arg(long, value_name = "NAME")]
    pub(crate) header: Option<String>,
    /// The endpoint's public keys, for the RS/HS confusion attack: a URL or a file.
    #[arg(long, value_name = "URL|FILE")]
    pub(crate) jwks: Option<String>,
    /// The status that means success (by default, the valid token's).
    #[arg(long, value_name = "CODE", value_parser = clap::value_parser!(u16).range(100..600))]
    pub(crate) expect_status: Option<u16>,
    /// At most this many requests in all (3 to 500).
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u16).range(3..=500))]
    pub(crate) max_requests: u16,
    /// At most this many requests per second (1 to 50).
    #[arg(long, value_name = "PER_SEC", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=50))]
    pub(crate) rate: u16,
    /// The request method.
    #[arg(long, value_enum, default_value_t = ProbeMethod::Get)]
    pub(crate) method: ProbeMethod,
    /// The real signing key, for the expiry attacks (optional).
    #[command(flatten)]
    pub(crate) source: KeySourceArgs,
    /// Judge time as of this Unix time.
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub(crate) now: Option<i64>,
    /// Machine-readable output.
    #[arg(long)]
    pub(crate) json: bool,
}

/// How `scan` prints its findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ScanFormat {
    /// One line per finding, then a summary.
    Text,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
}

/// The least severity that makes `scan` exit 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailOn {
    /// Any finding.
    Low,
    /// Medium, high or critical findings.
    Medium,
    /// High or critical findings.
    High,
    /// Critical findings only.
    Critical,
    /// Never: always exit 0 when the scan ran.
    Never,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Walks the tree the way git sees it (.gitignore honoured, .git skipped) and checks\nJS/TS, Python, Go, Java/Kotlin, Ruby and Rust code. Files that use a JWT library (or set\ncookies) are parsed, and literals are followed through names, members, concatenation,\nconversions and environment defaults to the key of the library's sign, verify, encode,\ndecode and key calls: hard-coded, fallback and predictable secrets are reported where\nthe literal is. Also: the none algorithm and mixed HS/RS algorithm lists, decoding\nwithout verifying and unverified claims deciding access, verifying without an algorithms\nallow-list, signing without expiry, expiry turned off, lifetimes over a day, sensitive\nclaims, tokens in localStorage or in cookies without HttpOnly/Secure/SameSite,\nexpress-jwt without isRevoked, tokens or secrets passed to loggers; committed JWTs\n(algorithm, issuer, expiry, and for HMAC tokens whether the secret is on the bundled\nlist, in a --wordlist or set elsewhere in the tree: then the token is forgeable) and\nprivate keys in any text file; weak secrets in .env, docker-compose and Kubernetes files;\n.env, *.pem and *.key files that git tracks or does not ignore. Test code (test\ndirectories and test files) is checked for committed tokens and keys only.\n\nSuppress one finding with a comment on its line or the line above:\n  jwtkeep:ignore RULE-ID the reason\n\nExit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or I/O error.\n\nExamples:\n  jwtkeep scan\n  jwtkeep scan services/api --fail-on high\n  jwtkeep scan --wordlist leaked-secrets.txt\n  jwtkeep scan --format sarif > jwtkeep.sarif\n  jwtkeep scan --format json > baseline.json && jwtkeep scan --baseline baseline.json\n  jwtkeep scan --list-rules"
)]
pub(crate) struct ScanArgs {
    /// The directory (or file) to scan.
    #[arg(value_name = "PATH", default_value = ".")]
    pub(crate) path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Text, conflicts_with = "json")]
    pub(crate) format: ScanFormat,
    /// Same as --format json.
    #[arg(long)]
    pub(crate) json: bool,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOn::Low, value_name = "SEVERITY")]
    pub(crate) fail_on: FailOn,
    /// Leave out findings recorded in this earlier `--format json` or `--format sarif` output.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Threads for the walk [default: all cores].
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<std::num::NonZeroUsize>,
    /// A file of candidate secrets, one per line, tried on committed HMAC tokens (repeatable).
    #[arg(long, value_name = "FILE")]
    pub(crate) wordlist: Vec<PathBuf>,
    /// Judge committed tokens' expiry as of this Unix time.
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub(crate) now: Option<i64>,
    /// List the rules (with --json: their patterns too) instead of scanning.
    #[arg(long)]
    pub(crate) list_rules: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "For HS256/384/512 tokens, the signing secret is searched for in order: the empty\nsecret, jwtkeep's bundled list of 103,978 known-weak JWT secrets, your wordlists, then\nmutations of your --hint words (case, digits, years, separators, -secret, _jwt, key...).\nA secret found this way is known to attackers: every token signed with it can be\nforged. The secret is printed only with --show-secret. All cores are used.\n\nExit codes: 0 nothing found, 1 the secret was found or the token has findings of\nmedium severity or more, 2 usage or input error.\n\nExamples:\n  jwtkeep audit \"$TOKEN\"\n  jwtkeep audit \"$TOKEN\" --wordlist rockyou.txt --hint myapp --hint acme\n  pbpaste | jwtkeep audit --json"
)]
pub(crate) struct AuditArgs {
    /// The token, or - (or nothing) to read it from stdin.
    #[arg(value_name = "TOKEN")]
    pub(crate) token: Option<String>,
    /// A file of candidate secrets, one per line (repeatable).
    #[arg(long, value_name = "FILE")]
    pub(crate) wordlist: Vec<PathBuf>,
    /// A word the secret may be built from, such as the app's name (repeatable, at most 16).
    #[arg(long, value_name = "WORD")]
    pub(crate) hint: Vec<String>,
    /// Print the secret when it is found.
    #[arg(long)]
    pub(crate) show_secret: bool,
    /// Threads for the search [default: all cores].
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<std::num::NonZeroUsize>,
    /// Judge expiry as of this Unix time.
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub(crate) now: Option<i64>,
    /// Machine-readable output.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 the key is usable, 1 jwtkeep refuses it, 2 usage or I/O error.\n\nExamples:\n  jwtkeep key inspect --key keys/public.pem --alg ES256\n  jwtkeep key inspect --key jwks.json --json\n  jwtkeep key inspect --secret-env JWT_SECRET --alg HS512"
)]
pub(crate) struct KeyInspectArgs {
    #[command(flatten)]
    pub(crate) source: KeySourceArgs,
    /// Machine-readable output.
    #[arg(long)]
    pub(crate) json: bool,
}

/// How `gen secret` prints its secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SecretFormat {
    /// URL-safe base64, no padding: one value a line.
    Base64url,
    /// Standard base64 with padding: one value a line.
    Base64,
    /// Lower-case hex: one value a line.
    Hex,
    /// NAME=value lines for a .env file.
    Env,
    /// A JSON document (the same as --json).
    Json,
    /// An `oct` JWK with alg, use and an RFC 7638 thumbprint kid (a JWKS for several).
    Jwk,
    /// A Kubernetes Secret manifest.
    K8s,
}

/// The text encoding of a secret's value inside env, JSON and k8s output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ValueEncoding {
    /// URL-safe base64, no padding.
    Base64url,
    /// Standard base64 with padding.
    Base64,
    /// Lower-case hex.
    Hex,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  jwtkeep gen secret\n  jwtkeep gen secret --alg HS512 --format hex\n  jwtkeep gen secret --purpose access,refresh,email --format env\n  jwtkeep gen secret --purpose access,refresh --env production --write --gitignore\n  jwtkeep gen secret --purpose access --env production --write --rotate\n  jwtkeep gen secret --format k8s --purpose access,refresh --env staging\n  jwtkeep gen secret --count 3 --json"
)]
pub(crate) struct GenSecretArgs {
    /// HMAC algorithm; sets the minimum size: HS256 32 bytes, HS384 48, HS512 64.
    #[arg(long, default_value = "HS256", value_parser = parse_alg)]
    pub(crate) alg: Algorithm,
    /// Secret size in bytes: at least the algorithm's minimum.
    #[arg(long, value_name = "N")]
    pub(crate) bytes: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SecretFormat::Base64url, conflicts_with = "json")]
    pub(crate) format: SecretFormat,
    /// Encoding of the value inside env, json and k8s output.
    #[arg(long, value_enum, default_value_t = ValueEncoding::Base64url)]
    pub(crate) encoding: ValueEncoding,
    /// One independent secret per purpose, named JWT_<PURPOSE>_SECRET.
    #[arg(long, value_delimiter = ',', value_name = "PURPOSE,...", conflicts_with_all = ["name", "count"])]
    pub(crate) purpose: Vec<String>,
    /// Variable name of a single secret (default JWT_SECRET).
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// Environment the secrets are for; with --write, the file is .env.<ENV>.
    #[arg(long, value_name = "ENV")]
    pub(crate) env: Option<String>,
    /// Write the secrets into the .env file (created 0600; other lines kept) instead of printing them.
    #[arg(long)]
    pub(crate) write: bool,
    /// The file --write updates (default .env.<ENV>, or .env).
    #[arg(long, value_name = "PATH", requires = "write")]
    pub(crate) file: Option<PathBuf>,
    /// Replace existing values, keeping each old one as NAME_PREVIOUS for the rotation window.
    #[arg(long, requires = "write")]
    pub(crate) rotate: bool,
    /// Add .env*, *.pem and *.key to .gitignore.
    #[arg(long)]
    pub(crate) gitignore: bool,
    /// How many secrets to generate (named NAME_1 ... NAME_N).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) count: usize,
    /// Name of the Kubernetes Secret (default jwt-secrets, or jwt-secrets-<ENV>).
    #[arg(long, value_name = "NAME")]
    pub(crate) k8s_name: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What `gen key` prints when it does not write files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyFormat {
    /// The private key (PKCS#8) and the public key (SPKI) as PEM.
    Pem,
    /// The private JWK.
    Jwk,
    /// The public JWK.
    PublicJwk,
    /// A JWKS holding the public JWK.
    Jwks,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  jwtkeep gen key                           ES256 key pair as PEM\n  jwtkeep gen key --alg EdDSA --format jwk\n  jwtkeep gen key --alg RS256 --bits 4096 --out-dir keys/\n  jwtkeep gen key --alg ES384 --kid 2026-11 --format jwks"
)]
pub(crate) struct GenKeyArgs {
    /// Algorithm: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA.
    #[arg(long, default_value = "ES256", value_parser = parse_alg)]
    pub(crate) alg: Algorithm,
    /// RSA modulus size: 2048, 3072 or 4096.
    #[arg(long, default_value_t = jwtkeep_core::DEFAULT_RSA_BITS, value_name = "BITS")]
    pub(crate) bits: usize,
    /// Key id (default: the RFC 7638 thumbprint).
    #[arg(long, value_name = "KID")]
    pub(crate) kid: Option<String>,
    /// What to print.
    #[arg(long, value_enum, default_value_t = KeyFormat::Pem, conflicts_with = "json")]
    pub(crate) format: KeyFormat,
    /// Write private.pem and private.jwk.json (0600), public.pem and jwks.json into DIR.
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,
    /// Overwrite existing files in --out-dir.
    #[arg(long, requires = "out_dir")]
    pub(crate) force: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub(crate) json: bool,
}

/// How `check` decodes secret text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckEncoding {
    /// Decide from the text's shape, and say what was assumed.
    Auto,
    /// The text's bytes as they are.
    Raw,
    /// Hexadecimal.
    Hex,
    /// Standard base64.
    Base64,
    /// URL-safe base64.
    Base64url,
}

impl From<CheckEncoding> for InputEncoding {
    fn from(value: CheckEncoding) -> Self {
        match value {
            CheckEncoding::Auto => InputEncoding::Auto,
            CheckEncoding::Raw => InputEncoding::Raw,
            CheckEncoding::Hex => InputEncoding::Hex,
            CheckEncoding::Base64 => InputEncoding::Base64,
            CheckEncoding::Base64url => InputEncoding::Base64Url,
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "The secret is never taken from the command line, where shell history and ps would keep it.\n\nExamples:\n  printf '%s' \"$JWT_SECRET\" | jwtkeep check\n  jwtkeep check < secret.txt\n  jwtkeep check --env-var JWT_SECRET --alg HS512\n  jwtkeep check --dotenv .env.production .env.staging --json"
)]
pub(crate) struct CheckArgs {
    /// Refused: a secret on the command line lands in shell history and `ps`.
    #[arg(hide = true, value_name = "SECRET", value_parser = ArgvSecret::parse)]
    pub(crate) positional: Option<ArgvSecret>,
    /// Algorithm the secret is for.
    #[arg(long, default_value = "HS256", value_parser = parse_alg)]
    pub(crate) alg: Algorithm,
    /// How to decode the secret's text into key bytes.
    #[arg(long, value_enum, default_value_t = CheckEncoding::Auto)]
    pub(crate) encoding: CheckEncoding,
    /// Read the secret from this environment variable (repeatable).
    #[arg(long, value_name = "NAME")]
    pub(crate) env_var: Vec<String>,
    /// Check every signing secret in these .env files (*SECRET*, *JWT*KEY*, *SIGNING_KEY*).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub(crate) dotenv: Vec<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Marks that someone typed a secret on the command line. Only its presence
/// is used (to refuse it), so the text itself is not kept, and `Debug` shows
/// nothing of it.
#[derive(Clone, Debug)]
pub(crate) struct ArgvSecret;

impl ArgvSecret {
    fn parse(_text: &str) -> Result<ArgvSecret, String> {
        Ok(ArgvSecret)
    }
}

fn parse_alg(text: &str) -> Result<Algorithm, String> {
    text.parse::<Algorithm>().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn alg_none_is_refused_by_the_parser() {
        let err = Cli::try_parse_from(["jwtkeep", "gen", "secret", "--alg", "none"]).unwrap_err();
        assert!(err.to_string().contains("never accepted"));
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Add a user; the password is read from a prompt (not echoed) or from stdin.
    #[command(
        after_help = "Examples:\n  jwtkeep user add alice --admin\n  printf '%s\\n' \"$PASSWORD\" | jwtkeep user add bob --data-dir /var/lib/jwtkeep"
    )]
    Add(UserAddArgs),
    /// List users by name.
    #[command(after_help = "Examples:\n  jwtkeep user list\n  jwtkeep user list --json")]
    List(StateArgs),
    /// Disable a user and end all of their sessions.
    #[command(after_help = "Examples:\n  jwtkeep user disable bob")]
    Disable(UserRefArgs),
    /// Enable a disabled user.
    #[command(after_help = "Examples:\n  jwtkeep user enable bob")]
    Enable(UserRefArgs),
    /// Set a user's password and end every session of theirs; the password is read from a prompt (not echoed, asked twice) or one line of stdin.
    #[command(
        after_help = "The new password must pass the same strength rule as at creation. Every refresh\nsession of the user ends in the same store step: their refresh tokens are refused at once,\ntheir access tokens as soon as each running service syncs (within seconds).\n\nExamples:\n  jwtkeep user passwd alice\n  printf '%s\\n' \"$NEW_PASSWORD\" | jwtkeep user passwd alice --json"
    )]
    Passwd(UserRefArgs),
    /// Replace a user's scopes and end every session of theirs.
    #[command(
        after_help = "No token keeps a scope the user lost: every session of the user ends in the\nsame store step, and their access tokens are cut off. `--scope ''` takes every\nscope away (the administrator flag is not a scope: it stays).\n\nExamples:\n  jwtkeep user scopes alice --scope orders:read,orders:write\n  jwtkeep user scopes bob --scope ''"
    )]
    Scopes(UserScopesArgs),
    /// Delete a user: the account, its sessions and its tokens; the name can be registered again.
    #[command(
        after_help = "The user's tokens stop working at once on every running service (as soon as\nit syncs, within a second); their refresh sessions and the account are deleted\nin one store step. Security events keep the user's id only. The last enabled\nadministrator cannot be deleted.\n\nExamples:\n  jwtkeep user remove bob --yes\n  jwtkeep user remove 3q2-7wEAAAAAAAAAAAAAAA --yes --json"
    )]
    Remove(UserRemoveArgs),
}

/// A scope list as written on the command line: comma- or space-separated.
fn scope_list(text: &str) -> Result<jwtkeep_store::Scopes, String> {
    jwtkeep_store::Scopes::parse(text).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
pub(crate) struct UserAddArgs {
    /// The username (a-z 0-9 . _ - + @; stored lower-cased).
    pub(crate) name: String,
    /// Make the user an administrator (their access tokens carry the admin scope).
    #[arg(long)]
    pub(crate) admin: bool,
    /// The scopes the user's access tokens carry, comma-separated (letters, digits and : . _ - /).
    #[arg(long, value_name = "LIST", value_parser = scope_list)]
    pub(crate) scope: Option<jwtkeep_store::Scopes>,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

#[derive(Debug, Args)]
pub(crate) struct UserScopesArgs {
    /// The user, by name or id.
    pub(crate) user: String,
    /// The user's new scopes, comma-separated; '' for none.
    #[arg(long, value_name = "LIST", value_parser = scope_list)]
    pub(crate) scope: jwtkeep_store::Scopes,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

#[derive(Debug, Args)]
pub(crate) struct UserRemoveArgs {
    /// The user, by name or id.
    pub(crate) user: String,
    /// Confirm: the account and its sessions are deleted for good.
    #[arg(long)]
    pub(crate) yes: bool,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

#[derive(Debug, Args)]
pub(crate) struct UserRefArgs {
    /// The user, by name or id.
    pub(crate) user: String,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

/// The state's location and the output format, shared by the admin commands.
#[derive(Debug, Args)]
pub(crate) struct StateArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Print JSON for scripts.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RevokeCommand {
    /// Log a user out everywhere: their tokens issued up to now stop working, their refresh tokens end.
    #[command(after_help = "Examples:\n  jwtkeep revoke user alice")]
    User(UserRefArgs),
    /// Emergency: every token issued up to now stops working, for every user.
    #[command(
        after_help = "Running services learn of it within a second. Tokens issued in the\nsame second are cut off too: users log in again a second later.\n\nExamples:\n  jwtkeep revoke all --yes"
    )]
    All(RevokeAllArgs),
}

#[derive(Debug, Args)]
pub(crate) struct RevokeAllArgs {
    /// Confirm: this ends every session of every user.
    #[arg(long)]
    pub(crate) yes: bool,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// A new key, published at once; it signs once every cache of the JWKS can have it.
    #[command(
        after_help = "By default the rotation is staged: the new key is in the JWKS at once and\nsigns only after jwks_max_age_secs (300) plus the services' key check\ninterval (10 s) + 1, so no verifier, here or holding a cached JWKS, ever\nmeets a token it cannot check; previous keys verify until their tokens expire.\n--immediate signs at once (services reload on the unknown kid; other\nverifiers refuse new tokens until they fetch the JWKS again). --revoke-old\nsigns at once and retires every older key at once: their tokens die (a\ncompromised key). Running services on Redis are told at once; on SQLite they\nlearn of it within their key check interval (the API, POST\n/v1/admin/keys/rotate, tells them at once). The master key must be the\nservice's own (the data directory's master.key, or JWTKEEP_MASTER_KEY).\n\nExamples:\n  jwtkeep keys rotate\n  jwtkeep keys rotate --purpose access --alg EdDSA\n  jwtkeep keys rotate --purpose access --revoke-old"
    )]
    Rotate(KeysRotateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct KeysRotateArgs {
    /// Only this purpose (access, refresh or confirm); all three by default.
    #[arg(long, value_parser = ["access", "refresh", "confirm"])]
    pub(crate) purpose: Option<String>,
    /// The new keys' algorithm (ES256, EdDSA, RS256...); the current one by default.
    #[arg(long, value_parser = parse_alg)]
    pub(crate) alg: Option<Algorithm>,
    /// Sign with the new key at once instead of after the JWKS cache lifetime.
    #[arg(long)]
    pub(crate) immediate: bool,
    /// Sign with the new key at once and retire the old ones now: their tokens die (implies --immediate).
    #[arg(long)]
    pub(crate) revoke_old: bool,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The proxy asks GET /verify (any method; Envoy appends the original path) with the\nrequest's Authorization header and its original method and URI (X-Original-Method and\nX-Original-URI from nginx, X-Forwarded-Method and X-Forwarded-Uri from Traefik and\nCaddy). The gate answers 200 with X-Auth-Subject, X-Auth-Scope, X-Auth-Session and\nX-Auth-Client, or 401 / 403 with WWW-Authenticate (RFC 6750), or 503 when tokens cannot\nbe checked (keys or revocations unknown: it fails closed). Reports of the original\nrequest that disagree, and paths not in normal form (dot or empty segments, ';', '\\',\nencoded '.', '/', '\\', ';' or '%'), are refused with 403. /healthz, /readyz, /metrics.\n\nThe gate follows the service's revocations as a registered client: JWTKEEP_CLIENT_ID\nand JWTKEEP_CLIENT_SECRET, or client_id and client_secret in a 0600 --config file, never\nthe command line. The file (TOML) may also hold issuer, audience, listen, jwks_url and\nrules, first match wins:\n\n  [[rule]]\n  path_prefix = \"/public\"\n  public = true\n\n  [[rule]]\n  path_prefix = \"/admin\"\n  methods = [\"POST\", \"DELETE\"]\n  scopes = [\"admin\"]\n\nPaths no rule matches need a valid token.\n\nExamples:\n  JWTKEEP_CLIENT_ID=gate JWTKEEP_CLIENT_SECRET=... jwtkeep gate --issuer https://auth.example.com --audience jwtkeep\n  jwtkeep gate --config /etc/jwtkeep-gate.toml --listen 127.0.0.1:8181"
)]
pub(crate) struct GateArgs {
    /// The issuer whose tokens pass: the jwtkeep service's URL.
    #[arg(long, value_name = "URL")]
    pub(crate) issuer: Option<String>,
    /// The audience tokens must name.
    #[arg(long, value_name = "AUD")]
    pub(crate) audience: Option<String>,
    /// Address to listen on [default: 127.0.0.1:8181].
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<std::net::SocketAddr>,
    /// A TOML configuration file (unknown keys refused): issuer, audience, listen,
    /// jwks_url, client_id, client_secret, [[rule]].
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StoreCommand {
    /// Give the store its identity, which every instance checks on each sync.
    #[command(
        after_help = "A store's identity tells the service that the store is the one it started\nwith. A Redis that restarted without its data has none: every instance then\nrefuses tokens (503 store_reset) and makes no key, instead of forgetting\nrevocations and regenerating keys. Initialise a new shared store once, before\nthe first `jwtkeep serve`; a SQLite file gets its identity when it is made.\n\nRunning it again is harmless: an existing identity is kept. A store that holds\ndata but has no identity (partly wiped, or written by an older jwtkeep) is\nrefused unless --force is given. After re-initialising a store that was wiped,\nrestart every instance: they keep refusing the store they no longer recognise.\n\nExamples:\n  JWTKEEP_STORE=redis://127.0.0.1:6379/0 jwtkeep store init\n  jwtkeep store init --store redis://10.0.0.5:6379/0 --force"
    )]
    Init(StoreInitArgs),
}

#[derive(Debug, Args)]
pub(crate) struct StoreInitArgs {
    /// Initialise even a store that holds data but no identity.
    #[arg(long)]
    pub(crate) force: bool,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ClientCommand {
    /// Register a client; its secret is printed once and never stored in clear.
    #[command(
        after_help = "The client authenticates with HTTP Basic (name and secret) to /oauth2/token\n(machine tokens carrying its scopes: the client credentials grant),\n/oauth2/introspect, /oauth2/revoke and the revocation feed.\n\nExamples:\n  jwtkeep client add orders-api\n  jwtkeep client add billing-job --scope orders:read,invoices:write --json"
    )]
    Add(ClientAddArgs),
    /// List clients and their scopes.
    #[command(after_help = "Examples:\n  jwtkeep client list")]
    List(StateArgs),
    /// Remove a client: its secret and every machine token it obtained stop working.
    #[command(
        after_help = "Running services stop accepting its secret within 5 seconds and its machine\ntokens as soon as they sync (within a second).\n\nExamples:\n  jwtkeep client remove orders-api"
    )]
    Remove(ClientRefArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ClientAddArgs {
    /// The client's name (a-z 0-9 . _ - + @; stored lower-cased).
    pub(crate) name: String,
    /// The scopes its machine tokens may carry, comma-separated.
    #[arg(long, value_name = "LIST", value_parser = scope_list)]
    pub(crate) scope: Option<jwtkeep_store::Scopes>,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ClientRefArgs {
    /// The client's name.
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}
