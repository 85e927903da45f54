//! Typed settings from the environment (a `.env` file is read first if present), with the
//! defaults documented in the README. Each concern (`database`, `server`, `keys`, `tokens`,
//! `limits`, `operations`) declares its variables once, in a table of `Setting`s that drives
//! parsing, bounds and `orgauth config check`; the README test holds the table to that list.
//! This module imports nothing from `http`: the settings it hands out are its own types.

mod database;
mod env;
mod federation;
mod keys;
mod limits;
mod operations;
mod people;
mod server;
pub(crate) mod setting;
mod tokens;

use std::path::PathBuf;
use std::time::Duration;

use actix_web::http::header::HeaderName;
use ipnet::IpNet;

pub use self::limits::{Argon2Cost, LimiterSettings, TarpitSettings};
pub use self::people::PeopleSettings;
pub use self::server::{TlsFiles, parse_networks};
use self::setting::Setting;
use crate::domain::{ClientId, ClientSecret};
use crate::store::DatabaseUrl;
use crate::token::SigningAlg;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

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
    /// How long resource servers may cache a status list (its `ttl`, SPEC §11).
    pub status_list_ttl: Duration,
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
    /// Hosts (`host` or `host:port`) whose key sets are fetched on any port and at any
    /// address: issuers and IdPs on a private network.
    pub allowed_issuer_hosts: Vec<String>,
    pub people: PeopleSettings,
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
            status_list_ttl: Duration::from_secs(5),
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
            allowed_issuer_hosts: Vec::new(),
            people: PeopleSettings::default(),
        }
    }

    /// The defaults, overridden by the environment (and a `.env` file, read first if present).
    pub fn from_env() -> Result<Self, ConfigError> {
        env::read_dotenv()?;
        let mut config = Self::defaults();
        for setting in settings() {
            let value = if setting.secret {
                env::secret_var(setting.name)?
            } else {
                env::var(setting.name)
            };
            (setting.read)(&mut config, value)?;
        }
        Ok(config)
    }

    /// The effective configuration, one `(variable, value)` per setting, secrets redacted:
    /// what `orgauth config check` prints.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        settings().map(|s| (s.name, (s.show)(self))).collect()
    }
}

/// Every setting, concern by concern, in the order they are read.
fn settings() -> impl Iterator<Item = &'static Setting> {
    [
        database::SETTINGS,
        server::SETTINGS,
        keys::SETTINGS,
        tokens::SETTINGS,
        limits::SETTINGS,
        operations::SETTINGS,
        federation::SETTINGS,
        people::SETTINGS,
    ]
    .into_iter()
    .flatten()
}
