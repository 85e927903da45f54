//! Builds the server once: keys, pool, migrations, bootstrap, and the actix `HttpServer`.
//! `main` calls it for `orgauth serve`; the integration tests call the very same function.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::AppExt;

use crate::client_auth::remote_keys::RemotePolicy;
use crate::client_auth::{AuthSettings, ClientAuthenticator};
use crate::config::Config;
use crate::domain::SecretHasher;
use crate::http::KeySchedule;
use crate::http::client_address::ClientAddressResolver;
use crate::http::{self, AppState};
use crate::jobs;
use crate::last_used::{Flush, LastUsedRecorder};
use crate::revoked_tokens::RevokedTokens;
use crate::service::bootstrap::{self, Bootstrapped};
use crate::service::people::passkeys::RelyingParty;
use crate::service::signing_keys;
use crate::store::changes::{ChangeListener, Fanout};
use crate::store::{self, PoolSettings};
use crate::token::{self, Audiences, KeyEncryptionKey, TokenIssuer};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Keys(#[from] crate::token::KeyError),
    #[error("cannot reach the database")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("migrations failed")]
    Migrations(#[source] store::MigrationError),
    #[error("bootstrap failed")]
    Bootstrap(#[source] crate::service::ServiceError),
    #[error("{0}")]
    Config(String),
    #[error("TLS (ORGAUTH_TLS_CERT_FILE, ORGAUTH_TLS_KEY_FILE)")]
    Tls(#[source] http::tls::TlsError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

impl From<crate::service::ServiceError> for StartupError {
    fn from(e: crate::service::ServiceError) -> Self {
        match e {
            crate::service::ServiceError::Keys(e) => Self::Keys(e),
            other => Self::Bootstrap(other),
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    last_used_flush: Duration,
    /// Set when this start created the bootstrap admin.
    pub bootstrapped: Option<Bootstrapped>,
}

impl Application {
    pub fn build(config: Config) -> Result<Self, StartupError> {
        // The port first: a start that cannot listen must fail before it bootstraps, or the
        // bootstrap admin would exist with its secret never printed.
        let listener = TcpListener::bind(&config.bind).map_err(|source| StartupError::Bind {
            addr: config.bind.clone(),
            source,
        })?;
        let ops_listener = config
            .ops_bind
            .as_ref()
            .map(|addr| {
                TcpListener::bind(addr).map_err(|source| StartupError::Bind {
                    addr: addr.clone(),
                    source,
                })
            })
            .transpose()?;
        let tls = config
            .tls
            .as_ref()
            .map(http::tls::server_config)
            .transpose()
            .map_err(StartupError::Tls)?;
        let (state, bootstrapped) = build_state(&config)?;

        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let ops_port = ops_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port());
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(http::ops::OpsListener(ops_port))
                .wrap(from_fn(http::ops::separate_listeners))
                .wrap(from_fn(http::ops::measure))
                .wrap(from_fn(http::request_log::log_request))
                .app_data(app_state.clone())
                .configure(http::oauth::routes)
                .configure(http::ops::routes)
                .configure(http::console::routes)
                .configure(http::people::routes)
                .into_utoipa_app()
                .configure(http::admin::routes)
                .into_app()
        })
        .workers(config.workers.max(1))
        // SIGTERM, SIGINT and SIGHUP are handled in `run_until_stopped`.
        .disable_signals()
        .shutdown_timeout(DRAIN_SECONDS);
        let bind_error = |addr: &str| {
            let addr = addr.to_owned();
            move |source| StartupError::Bind { addr, source }
        };
        let mut server = match tls {
            Some(tls) => server.listen_rustls_0_23(listener, tls),
            None => server.listen(listener),
        }
        .map_err(bind_error(&config.bind))?;
        if let (Some(ops), Some(addr)) = (ops_listener, &config.ops_bind) {
            server = server.listen(ops).map_err(bind_error(addr))?;
        }
        let server = server.run();
        Ok(Self {
            port,
            server,
            state,
            last_used_flush: config.last_used_flush,
            bootstrapped,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where people use the console (the passkey origin): invitation links point there.
    pub fn console_origin(&self) -> &str {
        self.state.relying_party.console_origin()
    }

    /// Stops the server from elsewhere (tests; `main` relies on SIGTERM/SIGINT).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT, then stops accepting, finishes in-flight requests (each
    /// answered with `Connection: close`, for at most `DRAIN_SECONDS`) and writes the pending
    /// `last_used_at` times. SIGHUP is logged and ignored (the configuration is read at start;
    /// TLS certificates reload by themselves).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let signals = tokio::spawn(handle_signals(self.server.handle()));
        let _stop_signals = jobs::AbortOnDrop(signals);
        tokio::spawn(jobs::preload(self.state.clone()));
        let status_lists = tokio::spawn(jobs::maintain_status_lists(self.state.clone()));
        let schedule = tokio::spawn(jobs::run_schedule(self.state.clone(), self.last_used_flush));
        let served = self.server.await;
        schedule.abort();
        status_lists.abort();
        jobs::flush_last_used(&self.state, Flush::All).await;
        // The runs of the last tokens issued: written, so their bits stay exact.
        if let Err(e) = self.state.status_lists.flush().await {
            log::warn!("the last status list runs could not be written: {e}");
        }
        served
    }
}

/// The longest shutdown waits for requests in flight (the Kubernetes grace period and
/// compose's `stop_grace_period` are longer).
const DRAIN_SECONDS: u64 = 30;

/// Turns SIGTERM and SIGINT into a graceful stop, and SIGHUP into a log line. While stopping,
/// actix answers the requests in flight with `Connection: close` and closes idle kept-alive
/// connections (a FIN, not a reset).
async fn handle_signals(server: actix_web::dev::ServerHandle) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        log::warn!("could not install the signal handlers");
        return;
    };
    loop {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
            _ = hup.recv() => {
                log::info!(
                    "SIGHUP ignored: the configuration is read at start (restart to change \
                     it); TLS certificates are reloaded when their files change"
                );
                continue;
            }
        };
        log::info!("{name}: draining (up to {DRAIN_SECONDS} s), then stopping");
        server.stop(true).await;
        return;
    }
}

/// Everything the handlers share: keys, migrated pool, bootstrap, authenticator. `build` uses
/// it; so do the benchmarks that drive the handlers without a network.
pub fn build_state(
    config: &Config,
) -> Result<(web::Data<AppState>, Option<Bootstrapped>), StartupError> {
    token::check_key_permissions(&config.keys_dir)?;
    if config.key_activation_delay < Duration::from_secs(360) {
        log::warn!(
            "ORGAUTH_KEY_ACTIVATION_DELAY_SECONDS={} is shorter than the JWKS max-age (300 s) + 60 s: \
             a resource server may meet a token signed by a key its cached JWKS does not know yet",
            config.key_activation_delay.as_secs()
        );
    }
    let hasher = secret_hasher(config)?;
    // The database first: no key-encryption key is generated for a database never reached,
    // nor for one whose keys are sealed under a key that is not configured here.
    let pool = migrated_pool(config)?;
    let (kek, keys, opened, bootstrapped) = {
        let mut conn = pool.get().map_err(|e| StartupError::Database(e.into()))?;
        let sealed_exist = !crate::store::signing_keys::list(&mut conn)
            .map_err(|e| StartupError::Database(e.into()))?
            .is_empty();
        let kek = Arc::new(KeyEncryptionKey::load_for(
            config.key_encryption_key.as_deref(),
            &config.keys_dir,
            sealed_exist,
        )?);
        signing_keys::ensure_initial(&mut conn, &kek, &config.keys_dir, config.signing_alg)?;
        let (keys, opened) = signing_keys::load(&mut conn, &kek)?;
        let bootstrapped = bootstrap::ensure(
            &mut conn,
            &hasher,
            config.bootstrap_client_id.clone(),
            config.bootstrap_client_secret.clone(),
            crate::domain::Email::parse(&config.people.bootstrap_admin_email).map_err(|e| {
                StartupError::Config(format!("ORGAUTH_BOOTSTRAP_ADMIN_EMAIL {}", e.0))
            })?,
        )?;
        (kek, keys, opened, bootstrapped)
    };
    if keys.active().alg != config.signing_alg {
        log::warn!(
            "the active signing key {} is {}, not ORGAUTH_SIGNING_ALG={}; run `orgauth keys rotate` to switch",
            keys.active().kid,
            keys.active().alg,
            config.signing_alg
        );
    }
    let issuer = Arc::new(TokenIssuer::new(
        Arc::new(keys),
        config.issuer.clone(),
        config.token_ttl,
    ));
    let mut openapi = http::admin::openapi();
    openapi.servers = Some(vec![utoipa::openapi::Server::new(config.issuer.clone())]);
    let openapi_json = openapi
        .to_json()
        .map_err(|e| StartupError::Config(format!("OpenAPI document: {e}")))?;
    let authenticator = ClientAuthenticator::new(
        pool.clone(),
        &hasher,
        AuthSettings {
            argon2_concurrency: config.argon2_concurrency,
            argon2_queue_timeout: config.argon2_queue_timeout,
            limiter: config.limiter.clone(),
            max_staleness: config.max_staleness,
            remote: RemotePolicy {
                allow_loopback: config.allow_loopback_issuers,
                allowed_hosts: config.allowed_issuer_hosts.clone(),
            },
            server_issuer: config.issuer.clone(),
        },
    );
    // One watcher hears every change made through other instances, for the client records
    // and the signing keys alike; it lives as long as this state does.
    let key_reloader = Arc::new(signing_keys::KeyReloader::new(
        pool.clone(),
        kek.clone(),
        Arc::downgrade(&issuer),
        config.max_staleness,
        opened,
    ));
    let revoked_tokens = Arc::new(RevokedTokens::new(pool.clone(), config.max_staleness));
    let status_lists = Arc::new(crate::status_lists::StatusLists::new(
        pool.clone(),
        config.issuer.clone(),
        config.status_list_ttl,
        config.token_ttl,
    ));
    let changes: Arc<dyn ChangeListener> = Arc::new(Fanout(vec![
        authenticator.change_listener(),
        key_reloader.clone(),
        revoked_tokens.clone(),
        status_lists.clone(),
    ]));
    store::changes::watch(
        config.database_url.clone(),
        config.db_timeout,
        Arc::downgrade(&changes),
    );
    let state = web::Data::new(AppState {
        authenticator,
        revoked_tokens,
        tarpit: http::oauth::tarpit::Tarpit::new(&config.tarpit),
        issuer,
        kek,
        changes,
        key_reloader,
        keys: KeySchedule {
            alg: config.signing_alg,
            activation_delay: config.key_activation_delay,
            rotation_interval: config.key_rotation_interval,
        },
        audiences: Audiences::new(config.issuer.clone(), config.audiences.clone()),
        hasher,
        last_used: LastUsedRecorder::default(),
        openapi_json: openapi_json.into(),
        client_address: ClientAddressResolver::new(
            config.trusted_proxy_header.clone(),
            config.trusted_proxies.clone(),
        ),
        people: config.people.clone(),
        people_limiter: crate::client_auth::FailureLimiter::new(config.limiter.clone()),
        mailer: crate::mail::Mailer::new(
            config.people.smtp_url.as_deref(),
            config.people.smtp_from.as_deref(),
        )
        .map_err(StartupError::Config)?,
        relying_party: Arc::new(RelyingParty::for_issuer(&config.issuer)),
        sso: Arc::default(),
        status_lists,
        pool,
    });
    Ok((state, bootstrapped))
}

pub fn secret_hasher(config: &Config) -> Result<SecretHasher, StartupError> {
    let cost = &config.argon2;
    SecretHasher::new(cost.memory_kib, cost.iterations, cost.parallelism)
        .map_err(StartupError::Config)
}

/// One direct connection to the configured database, with every migration applied.
pub fn migrated_connection(config: &Config) -> Result<store::DbConnection, StartupError> {
    // Connect directly for the first contact: the real error (auth, DNS, refused) at once.
    let mut conn = store::ConnectionManager::new(config.database_url.clone(), config.db_timeout)
        .connect()
        .map_err(|e| StartupError::Database(e.into()))?;
    store::allow_long_statements(&mut conn).map_err(|e| StartupError::Database(e.into()))?;
    let ran = store::run_migrations(&mut conn).map_err(StartupError::Migrations)?;
    if ran > 0 {
        log::info!(
            "applied {ran} migration(s) on {}",
            config.database_url.backend_name()
        );
    }
    Ok(conn)
}

/// A connection to the configured database as it is: no migration runs (`migrate status`).
pub fn unmigrated_connection(config: &Config) -> Result<store::DbConnection, StartupError> {
    store::ConnectionManager::new(config.database_url.clone(), config.db_timeout)
        .connect()
        .map_err(|e| StartupError::Database(e.into()))
}

/// A pool on the configured database with every migration applied.
pub fn migrated_pool(config: &Config) -> Result<store::Pool, StartupError> {
    drop(migrated_connection(config)?);
    Ok(store::build_pool(
        &config.database_url,
        &PoolSettings {
            max_size: config.pool_size,
            connection_timeout: config.db_timeout,
        },
    ))
}
