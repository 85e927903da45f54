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
use crate::http::client_address::{ClientAddressResolver, DEFAULT_TRUSTED_PROXIES};
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
    /// The `iss` of every token and the base of the discovery document's URLs.
    pub issuer: String,
    pub keys_dir: PathBuf,
    pub signing_alg: SigningAlg,
    pub token_ttl: Duration,
    /// Allowed `audience`/`resource` values; the first is the default `aud`.
    pub audiences: Vec<String>,
    pub pool_size: u32,
    pub db_timeout: Duration,
    pub argon2: Argon2Cost,
    /// How many argon2 verifications may run at once (each holds `memory_kib` of RAM).
    pub argon2_concurrency: usize,
    pub workers: usize,
    /// How long a request waits for an argon2 slot before it is answered 503.
    pub argon2_queue_timeout: Duration,
    pub limiter: LimiterSettings,
    /// Behind a reverse proxy: the header holding the caller's address (e.g. X-Forwarded-For).
    pub trusted_proxy_header: Option<HeaderName>,
    /// Peers whose forwarding header is believed, and hops skipped in it.
    pub trusted_proxies: Vec<IpNet>,
    /// How often `last_used_at` times are written (at most one write per client per period).
    pub last_used_flush: Duration,
    pub bootstrap_client_id: Option<ClientId>,
    pub bootstrap_client_secret: Option<ClientSecret>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let bind = var("ORGAUTH_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let issuer = var("ORGAUTH_ISSUER").unwrap_or_else(|| format!("http://{bind}"));
        let signing_alg = match var("ORGAUTH_SIGNING_ALG") {
            Some(s) => s.parse().map_err(ConfigError)?,
            None => SigningAlg::Es256,
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
        let bootstrap_client_secret = var("ORGAUTH_BOOTSTRAP_CLIENT_SECRET")
            .map(|s| ClientSecret::parse(&s))
            .transpose()
            .map_err(|e| {
                ConfigError(format!(
                    "ORGAUTH_BOOTSTRAP_CLIENT_SECRET is not a well-formed orgauth secret ({e}); \
                     generate one with `orgauth secret generate`"
                ))
            })?;
        Ok(Self {
            database_url: DatabaseUrl::parse(
                &var("DATABASE_URL").unwrap_or_else(|| "orgauth.db".into()),
            ),
            issuer: issuer.trim_end_matches('/').to_owned(),
            bind,
            keys_dir: var("ORGAUTH_KEYS_DIR")
                .unwrap_or_else(|| "keys".into())
                .into(),
            signing_alg,
            token_ttl: Duration::from_secs(parse_var("ORGAUTH_TOKEN_TTL_SECONDS", 3600)?),
            audiences,
            pool_size: parse_var("ORGAUTH_DB_POOL_SIZE", 10)?,
            db_timeout: Duration::from_millis(parse_var("ORGAUTH_DB_TIMEOUT_MS", 5000)?),
            argon2: Argon2Cost {
                memory_kib: parse_var("ORGAUTH_ARGON2_MEMORY_KIB", 19_456)?,
                iterations: parse_var("ORGAUTH_ARGON2_ITERATIONS", 2)?,
                parallelism: parse_var("ORGAUTH_ARGON2_PARALLELISM", 1)?,
            },
            argon2_concurrency: parse_var("ORGAUTH_ARGON2_CONCURRENCY", cores)?,
            workers: parse_var("ORGAUTH_WORKERS", cores)?,
            argon2_queue_timeout: Duration::from_millis(parse_var(
                "ORGAUTH_ARGON2_QUEUE_TIMEOUT_MS",
                500,
            )?),
            limiter: LimiterSettings {
                max_failures_per_client: parse_var("ORGAUTH_MAX_AUTH_FAILURES_PER_CLIENT", 10)?,
                max_failures_per_address: parse_var("ORGAUTH_MAX_AUTH_FAILURES_PER_ADDRESS", 100)?,
                window: Duration::from_secs(
                    parse_var("ORGAUTH_AUTH_FAILURE_WINDOW_SECONDS", 60u64)?.max(1),
                ),
            },
            trusted_proxy_header: var("ORGAUTH_TRUSTED_PROXY_HEADER")
                .map(|h| {
                    HeaderName::try_from(h.trim()).map_err(|_| {
                        ConfigError(format!(
                            "ORGAUTH_TRUSTED_PROXY_HEADER={h:?} is not a header name"
                        ))
                    })
                })
                .transpose()?,
            trusted_proxies: ClientAddressResolver::parse_networks(
                &var("ORGAUTH_TRUSTED_PROXIES").unwrap_or_else(|| DEFAULT_TRUSTED_PROXIES.into()),
            )
            .map_err(|e| ConfigError(format!("ORGAUTH_TRUSTED_PROXIES: {e}")))?,
            last_used_flush: Duration::from_secs(
                parse_var("ORGAUTH_LAST_USED_FLUSH_SECONDS", 60u64)?.max(1),
            ),
            bootstrap_client_id,
            bootstrap_client_secret,
        })
    }
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
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
