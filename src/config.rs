//! Typed settings from the environment (a `.env` file is read first if present), with the
//! defaults documented in the README.

use std::env;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use actix_web::http::header::HeaderName;
use ipnet::IpNet;

use crate::client_auth::LimiterSettings;
use crate::domain::{ClientId, ClientSecret};
use crate::http::client_address::ClientAddressResolver;
use crate::http::oauth::tarpit::TarpitSettings;
use crate::store::DatabaseUrl;
use crate::token::SigningAlg;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

#[derive(Clone)]
pub struct Argon2Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

#[derive(Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind: String,
    /// A second, plain-HTTP listener for `/metrics`, `/healthz` and `/readyz` only.
    pub ops_bind: Option<String>,
    /// Serve HTTPS with this certificate chain and key (PEM), reloaded when the files change.
    pub tls: Option<TlsFiles>,
    /// The `iss` of every token and the base of the discovery document's URLs.
    pub issuer: String,
    pub keys_dir: PathBuf,
    /// Base64 of the 32-byte key that seals signing keys in the database; `None`: the one in
    /// `keys_dir/kek` (generated there when missing).
    pub key_encryption_key: Option<String>,
    /// How long a next signing key is published before it signs.
    pub key_activation_delay: Duration,
    /// Rotate the signing key when the active one is this old (`None`: never automatically).
    pub key_rotation_interval: Option<Duration>,
    pub signing_alg: SigningAlg,
    pub token_ttl: Duration,
    /// The longest access-token lifetime this server may be configured with (24 h unless an
    /// operator raises it deliberately).
    pub token_ttl_max: Duration,
    /// Allowed `audience`/`resource` values; the first is the default `aud`.
    pub audiences: Vec<String>,
    pub pool_size: u32,
    pub db_timeout: Duration,
    /// How long this instance may serve client records from memory after it last confirmed
    /// that it had applied every change made through other instances.
    pub max_staleness: Duration,
    pub argon2: Argon2Cost,
    /// How many argon2 verifications may run at once (each holds `memory_kib` of RAM).
    pub argon2_concurrency: usize,
    pub workers: usize,
    /// How long a request waits for an argon2 slot before it is answered 503.
    pub argon2_queue_timeout: Duration,
    pub limiter: LimiterSettings,
    pub tarpit: TarpitSettings,
    /// Behind a reverse proxy: the header holding the caller's address (e.g. X-Forwarded-For).
    pub trusted_proxy_header: Option<HeaderName>,
    /// Peers whose forwarding header is believed, and hops skipped in it.
    pub trusted_proxies: Vec<IpNet>,
    /// How often `last_used_at` times are written (at most one write per client per period).
    pub last_used_flush: Duration,
    pub bootstrap_client_id: Option<ClientId>,
    pub bootstrap_client_secret: Option<ClientSecret>,
    pub log_format: crate::logging::LogFormat,
    /// Whether workload issuers (federation) on loopback may be fetched over plain HTTP: for
    /// tests and local development only.
    pub allow_loopback_issuers: bool,
}

impl Config {
    /// Every setting at its documented default (the README's configuration table). Tests and
    /// benchmarks start here and override a few fields.
    pub fn defaults() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let bind = "127.0.0.1:8080".to_owned();
        Self {
            tls: None,
            ops_bind: None,
            database_url: DatabaseUrl::parse("orgauth.db"),
            issuer: format!("http://{bind}"),
            bind,
            keys_dir: "keys".into(),
            key_encryption_key: None,
            // The JWKS max-age (300 s) + 60 s: every cached JWKS knows a key before it signs.
            key_activation_delay: Duration::from_secs(360),
            key_rotation_interval: Some(Duration::from_secs(90 * 24 * 3600)),
            signing_alg: SigningAlg::Es256,
            token_ttl: Duration::from_secs(3600),
            token_ttl_max: Duration::from_secs(24 * 3600),
            audiences: Vec::new(),
            pool_size: 10,
            db_timeout: Duration::from_millis(5000),
            max_staleness: Duration::from_millis(1000),
            // A cost for 256-bit random secrets, not passwords (README, "Secrets and keys").
            argon2: Argon2Cost {
                memory_kib: 256,
                iterations: 1,
                parallelism: 1,
            },
            argon2_concurrency: cores,
            workers: cores,
            argon2_queue_timeout: Duration::from_millis(500),
            limiter: LimiterSettings {
                max_failures_per_client: 10,
                max_failures_per_address: 100,
                window: Duration::from_secs(60),
            },
            tarpit: TarpitSettings {
                delay: Duration::from_millis(1000),
                max_held: 1024,
            },
            trusted_proxy_header: None,
            trusted_proxies: Vec::new(),
            last_used_flush: Duration::from_secs(60),
            bootstrap_client_id: None,
            bootstrap_client_secret: None,
            log_format: crate::logging::LogFormat::Text,
            allow_loopback_issuers: false,
        }
    }

    /// The defaults, overridden by the environment (and a `.env` file, read first if present).
    pub fn from_env() -> Result<Self, ConfigError> {
        read_dotenv()?;
        let d = Self::defaults();
        let bind = var("ORGAUTH_BIND").unwrap_or(d.bind);
        let tls = match (var("ORGAUTH_TLS_CERT_FILE"), var("ORGAUTH_TLS_KEY_FILE")) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.into(),
                key: key.into(),
            }),
            (None, None) => None,
            _ => {
                return Err(ConfigError(
                    "set both ORGAUTH_TLS_CERT_FILE and ORGAUTH_TLS_KEY_FILE, or neither".into(),
                ));
            }
        };
        let issuer = match var("ORGAUTH_ISSUER") {
            Some(issuer) => issuer_url(&issuer)?,
            // On a loopback address the bind address is the URL clients use; anywhere else it
            // is not (0.0.0.0, a pod IP), and every token would carry a wrong `iss`.
            None if is_loopback(&bind) => {
                let scheme = if tls.is_some() { "https" } else { "http" };
                format!("{scheme}://{bind}")
            }
            None => {
                return Err(ConfigError(format!(
                    "ORGAUTH_ISSUER must be set when ORGAUTH_BIND ({bind}) is not a loopback \
                     address: it is the `iss` of every token and the base of the discovery \
                     document, the URL clients reach this server at (e.g. \
                     ORGAUTH_ISSUER=https://auth.example.com)"
                )));
            }
        };
        let signing_alg = match var("ORGAUTH_SIGNING_ALG") {
            Some(s) => s.parse().map_err(ConfigError)?,
            None => d.signing_alg,
        };
        let audiences = var("ORGAUTH_AUDIENCES")
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let bootstrap_client_id = var("ORGAUTH_BOOTSTRAP_CLIENT_ID")
            .map(|s| ClientId::parse(&s))
            .transpose()
            .map_err(|e| ConfigError(format!("ORGAUTH_BOOTSTRAP_CLIENT_ID: {e}")))?;
        let bootstrap_client_secret = secret_var("ORGAUTH_BOOTSTRAP_CLIENT_SECRET")?
            .map(|s| ClientSecret::parse(&s))
            .transpose()
            .map_err(|e| {
                ConfigError(format!(
                    "ORGAUTH_BOOTSTRAP_CLIENT_SECRET is not a well-formed orgauth secret ({e}); \
                     generate one with `orgauth secret generate`"
                ))
            })?;
        let trusted_proxies = match var("ORGAUTH_TRUSTED_PROXIES") {
            Some(list) => ClientAddressResolver::parse_networks(&list)
                .map_err(|e| ConfigError(format!("ORGAUTH_TRUSTED_PROXIES: {e}")))?,
            None => d.trusted_proxies,
        };
        // Durations within [min, max] (in the variable's unit).
        let millis = |name, default: Duration, min: u64, max: u64| {
            let value = bounded(name, default.as_millis() as u64, min, max)?;
            Ok::<_, ConfigError>(Duration::from_millis(value))
        };
        let seconds = |name, default: Duration, min: u64, max: u64| {
            let value = bounded(name, default.as_secs(), min, max)?;
            Ok::<_, ConfigError>(Duration::from_secs(value))
        };
        const DAY: u64 = 24 * 3600;
        let token_ttl_max = seconds(
            "ORGAUTH_TOKEN_TTL_MAX_SECONDS",
            d.token_ttl_max,
            60,
            30 * DAY,
        )?;
        let token_ttl = seconds(
            "ORGAUTH_TOKEN_TTL_SECONDS",
            d.token_ttl,
            60,
            token_ttl_max.as_secs(),
        )
        .map_err(|e| {
            ConfigError(format!(
                "{} (ORGAUTH_TOKEN_TTL_MAX_SECONDS, up to 2592000 = 30 days, raises the maximum \
                 for an operator who means it: a leaked token stays valid that long)",
                e.0
            ))
        })?;
        Ok(Self {
            database_url: match secret_var("DATABASE_URL")? {
                Some(url) => DatabaseUrl::parse_setting(&url)
                    .map_err(|accepted| ConfigError(format!("DATABASE_URL: {accepted}")))?,
                None => d.database_url,
            },
            tls,
            ops_bind: var("ORGAUTH_OPS_BIND"),
            issuer: issuer.trim_end_matches('/').to_owned(),
            bind,
            keys_dir: var("ORGAUTH_KEYS_DIR").map_or(d.keys_dir, PathBuf::from),
            key_encryption_key: secret_var("ORGAUTH_KEY_ENCRYPTION_KEY")?,
            key_activation_delay: seconds(
                "ORGAUTH_KEY_ACTIVATION_DELAY_SECONDS",
                d.key_activation_delay,
                0,
                7 * DAY,
            )?,
            key_rotation_interval: match bounded("ORGAUTH_KEY_ROTATION_DAYS", 90u64, 0, 3650)? {
                0 => None,
                days => Some(Duration::from_secs(days.saturating_mul(24 * 3600))),
            },
            signing_alg,
            token_ttl,
            token_ttl_max,
            audiences,
            pool_size: bounded("ORGAUTH_DB_POOL_SIZE", d.pool_size, 1, 1000)?,
            db_timeout: millis("ORGAUTH_DB_TIMEOUT_MS", d.db_timeout, 1, 600_000)?,
            max_staleness: millis("ORGAUTH_MAX_STALENESS_MS", d.max_staleness, 1, 600_000)?,
            argon2: Argon2Cost {
                memory_kib: bounded("ORGAUTH_ARGON2_MEMORY_KIB", d.argon2.memory_kib, 8, 4 << 20)?,
                iterations: bounded("ORGAUTH_ARGON2_ITERATIONS", d.argon2.iterations, 1, 100)?,
                parallelism: bounded("ORGAUTH_ARGON2_PARALLELISM", d.argon2.parallelism, 1, 64)?,
            },
            argon2_concurrency: bounded(
                "ORGAUTH_ARGON2_CONCURRENCY",
                d.argon2_concurrency,
                1,
                1024,
            )?,
            workers: bounded("ORGAUTH_WORKERS", d.workers, 1, 1024)?,
            argon2_queue_timeout: millis(
                "ORGAUTH_ARGON2_QUEUE_TIMEOUT_MS",
                d.argon2_queue_timeout,
                1,
                60_000,
            )?,
            limiter: LimiterSettings {
                max_failures_per_client: bounded(
                    "ORGAUTH_MAX_AUTH_FAILURES_PER_CLIENT",
                    d.limiter.max_failures_per_client,
                    1,
                    1_000_000,
                )?,
                max_failures_per_address: bounded(
                    "ORGAUTH_MAX_AUTH_FAILURES_PER_ADDRESS",
                    d.limiter.max_failures_per_address,
                    1,
                    1_000_000,
                )?,
                window: seconds(
                    "ORGAUTH_AUTH_FAILURE_WINDOW_SECONDS",
                    d.limiter.window,
                    1,
                    DAY,
                )?,
            },
            tarpit: TarpitSettings {
                delay: millis("ORGAUTH_RATE_LIMIT_DELAY_MS", d.tarpit.delay, 0, 60_000)?,
                max_held: bounded("ORGAUTH_RATE_LIMIT_MAX_HELD", d.tarpit.max_held, 1, 100_000)?,
            },
            trusted_proxy_header: trusted_proxy_header(&trusted_proxies)?,
            trusted_proxies,
            last_used_flush: seconds("ORGAUTH_LAST_USED_FLUSH_SECONDS", d.last_used_flush, 1, DAY)?,
            bootstrap_client_id,
            bootstrap_client_secret,
            log_format: match var("ORGAUTH_LOG_FORMAT") {
                Some(f) => f.parse().map_err(ConfigError)?,
                None => d.log_format,
            },
            allow_loopback_issuers: match var("ORGAUTH_ALLOW_LOOPBACK_ISSUERS").as_deref() {
                None | Some("false") => false,
                Some("true") => true,
                Some(other) => {
                    return Err(ConfigError(format!(
                        "ORGAUTH_ALLOW_LOOPBACK_ISSUERS={other:?} must be true or false"
                    )));
                }
            },
        })
    }
}

impl Config {
    /// The effective configuration, one `(variable, value)` per setting, secrets redacted:
    /// what `orgauth config check` prints.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let ms = |d: Duration| d.as_millis().to_string();
        let secs = |d: Duration| d.as_secs().to_string();
        let set = |present: bool, otherwise: &str| {
            if present {
                "(set, not shown)".to_owned()
            } else {
                otherwise.to_owned()
            }
        };
        let database_url = match &self.database_url {
            DatabaseUrl::Postgres(url) => redact_password(url),
            DatabaseUrl::Sqlite(path) => path.clone(),
        };
        vec![
            ("DATABASE_URL", database_url),
            ("ORGAUTH_BIND", self.bind.clone()),
            (
                "ORGAUTH_OPS_BIND",
                self.ops_bind
                    .clone()
                    .unwrap_or_else(|| "(unset: main listener)".into()),
            ),
            ("ORGAUTH_ISSUER", self.issuer.clone()),
            (
                "ORGAUTH_TLS_CERT_FILE",
                self.tls.as_ref().map_or("(unset: plain HTTP)".into(), |t| {
                    t.cert.display().to_string()
                }),
            ),
            (
                "ORGAUTH_TLS_KEY_FILE",
                self.tls
                    .as_ref()
                    .map_or("(unset)".into(), |t| t.key.display().to_string()),
            ),
            ("ORGAUTH_KEYS_DIR", self.keys_dir.display().to_string()),
            (
                "ORGAUTH_KEY_ENCRYPTION_KEY",
                set(
                    self.key_encryption_key.is_some(),
                    &format!("(unset: {}/kek)", self.keys_dir.display()),
                ),
            ),
            (
                "ORGAUTH_KEY_ACTIVATION_DELAY_SECONDS",
                secs(self.key_activation_delay),
            ),
            (
                "ORGAUTH_KEY_ROTATION_DAYS",
                self.key_rotation_interval
                    .map_or("0".into(), |d| (d.as_secs() / 86_400).to_string()),
            ),
            ("ORGAUTH_SIGNING_ALG", self.signing_alg.to_string()),
            ("ORGAUTH_TOKEN_TTL_SECONDS", secs(self.token_ttl)),
            ("ORGAUTH_TOKEN_TTL_MAX_SECONDS", secs(self.token_ttl_max)),
            ("ORGAUTH_AUDIENCES", self.audiences.join(",")),
            ("ORGAUTH_DB_POOL_SIZE", self.pool_size.to_string()),
            ("ORGAUTH_DB_TIMEOUT_MS", ms(self.db_timeout)),
            ("ORGAUTH_MAX_STALENESS_MS", ms(self.max_staleness)),
            (
                "ORGAUTH_ARGON2_MEMORY_KIB",
                self.argon2.memory_kib.to_string(),
            ),
            (
                "ORGAUTH_ARGON2_ITERATIONS",
                self.argon2.iterations.to_string(),
            ),
            (
                "ORGAUTH_ARGON2_PARALLELISM",
                self.argon2.parallelism.to_string(),
            ),
            (
                "ORGAUTH_ARGON2_CONCURRENCY",
                self.argon2_concurrency.to_string(),
            ),
            (
                "ORGAUTH_ARGON2_QUEUE_TIMEOUT_MS",
                ms(self.argon2_queue_timeout),
            ),
            (
                "ORGAUTH_MAX_AUTH_FAILURES_PER_CLIENT",
                self.limiter.max_failures_per_client.to_string(),
            ),
            (
                "ORGAUTH_MAX_AUTH_FAILURES_PER_ADDRESS",
                self.limiter.max_failures_per_address.to_string(),
            ),
            (
                "ORGAUTH_AUTH_FAILURE_WINDOW_SECONDS",
                secs(self.limiter.window),
            ),
            ("ORGAUTH_RATE_LIMIT_DELAY_MS", ms(self.tarpit.delay)),
            (
                "ORGAUTH_RATE_LIMIT_MAX_HELD",
                self.tarpit.max_held.to_string(),
            ),
            (
                "ORGAUTH_TRUSTED_PROXY_HEADER",
                self.trusted_proxy_header
                    .as_ref()
                    .map_or(String::new(), |h| h.to_string()),
            ),
            (
                "ORGAUTH_TRUSTED_PROXIES",
                self.trusted_proxies
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("ORGAUTH_WORKERS", self.workers.to_string()),
            (
                "ORGAUTH_LOG_FORMAT",
                format!("{:?}", self.log_format).to_lowercase(),
            ),
            (
                "ORGAUTH_ALLOW_LOOPBACK_ISSUERS",
                self.allow_loopback_issuers.to_string(),
            ),
            (
                "ORGAUTH_LAST_USED_FLUSH_SECONDS",
                secs(self.last_used_flush),
            ),
            (
                "ORGAUTH_BOOTSTRAP_CLIENT_ID",
                self.bootstrap_client_id
                    .as_ref()
                    .map_or("(generated on first start)".into(), ToString::to_string),
            ),
            (
                "ORGAUTH_BOOTSTRAP_CLIENT_SECRET",
                set(
                    self.bootstrap_client_secret.is_some(),
                    "(generated on first start)",
                ),
            ),
        ]
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; also hides a
/// `password=` query parameter.
fn redact_password(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        out = format!("{scheme}://{user}:***@{host}");
    }
    if let Some(at) = out.find("password=") {
        let end = out[at..].find('&').map_or(out.len(), |e| at + e);
        out.replace_range(at + "password=".len()..end, "***");
    }
    out
}

/// PEM files of the server's certificate chain and private key.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The forwarding header, if set: an `X-Forwarded-For`-style list, believed only from named
/// proxies.
fn trusted_proxy_header(trusted_proxies: &[IpNet]) -> Result<Option<HeaderName>, ConfigError> {
    let Some(h) = var("ORGAUTH_TRUSTED_PROXY_HEADER") else {
        return Ok(None);
    };
    let name = HeaderName::try_from(h.trim()).map_err(|_| {
        ConfigError(format!(
            "ORGAUTH_TRUSTED_PROXY_HEADER={h:?} is not a header name"
        ))
    })?;
    if name == "forwarded" {
        return Err(ConfigError(
            "ORGAUTH_TRUSTED_PROXY_HEADER: the RFC 7239 Forwarded header is not supported; use \
             an X-Forwarded-For-style header (a comma-separated list of addresses)"
                .into(),
        ));
    }
    if trusted_proxies.is_empty() {
        return Err(ConfigError(
            "ORGAUTH_TRUSTED_PROXY_HEADER is set but ORGAUTH_TRUSTED_PROXIES is empty: name the \
             reverse proxies' addresses or CIDR blocks, so that no other caller can choose the \
             address it is rate limited under"
                .into(),
        ));
    }
    Ok(Some(name))
}

/// Whether `bind` (`host:port`) listens on a loopback address only.
fn is_loopback(bind: &str) -> bool {
    let host = bind.rsplit_once(':').map_or(bind, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A secret from `NAME` or from the file named by `NAME_FILE` (not both), as the official
/// Postgres image does: the file suits container secrets, which are never in the environment.
fn secret_var(name: &str) -> Result<Option<String>, ConfigError> {
    let file_var = format!("{name}_FILE");
    match (var(name), var(&file_var)) {
        (Some(_), Some(_)) => Err(ConfigError(format!("set {name} or {file_var}, not both"))),
        (Some(value), None) => Ok(Some(value)),
        (None, Some(path)) => std::fs::read_to_string(path.trim())
            .map(|v| Some(v.trim().to_owned()))
            .map_err(|e| ConfigError(format!("{file_var}={path:?}: {e}"))),
        (None, None) => Ok(None),
    }
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A number within `[min, max]`, or an error naming the variable and the bounds.
fn bounded<T: FromStr + PartialOrd + std::fmt::Display + Copy>(
    name: &str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError> {
    let value = parse_var(name, default)?;
    if value < min || value > max {
        return Err(ConfigError(format!(
            "{name}={value} is out of bounds: it must be between {min} and {max}"
        )));
    }
    Ok(value)
}

/// An absolute `http(s)` URL without query or fragment, without a trailing slash.
fn issuer_url(value: &str) -> Result<String, ConfigError> {
    let value = value.trim().trim_end_matches('/');
    let host = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let valid = host.is_some_and(|rest| {
        let authority = rest.split('/').next().unwrap_or_default();
        !authority.is_empty()
            && !authority.contains('@')
            && !rest.contains(['?', '#'])
            && !rest.chars().any(char::is_whitespace)
    });
    if !valid {
        return Err(ConfigError(format!(
            "ORGAUTH_ISSUER={value:?} must be an absolute http:// or https:// URL without a \
             query or fragment, e.g. https://auth.example.com"
        )));
    }
    Ok(value.to_owned())
}

/// Reads `.env` from the working directory if there is one; a line it cannot parse is an
/// error naming the line (not a silent stop that drops every later line).
fn read_dotenv() -> Result<(), ConfigError> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(dotenvy::Error::LineParse(line, at)) => {
            let number = std::fs::read_to_string(".env")
                .ok()
                .and_then(|text| text.lines().position(|l| l.trim() == line.trim()))
                .map_or_else(|| "?".to_owned(), |i| (i + 1).to_string());
            Err(ConfigError(format!(
                ".env, line {number}: cannot parse it (at character {}); expected NAME=value",
                at + 1
            )))
        }
        Err(e) => Err(ConfigError(format!(".env: {e}"))),
    }
}

fn parse_var<T: FromStr>(name: &str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| ConfigError(format!("{name}={v:?} is not a valid number"))),
    }
}
