//! The server under test: started as `main` starts it, on a random port.

use std::path::PathBuf;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use orgauth::app::Application;
use orgauth::config::{Argon2Cost, Config};
use orgauth::store::DatabaseUrl;
use orgauth::token::AccessTokenClaims;

use super::database::{Backend, TestDatabase};
use super::tokens::verify_with;

const OPERATOR: orgauth::service::Principal = orgauth::service::Principal::Operator("test");

/// A config for tests: a fresh database and keys directory, a random port, cheap argon2.
pub fn test_config(db: &TestDatabase, keys_dir: PathBuf) -> Config {
    Config {
        database_url: DatabaseUrl::parse(&db.url),
        bind: "127.0.0.1:0".into(),
        issuer: "http://orgauth.test".into(),
        keys_dir,
        pool_size: 4,
        argon2: Argon2Cost {
            memory_kib: 4096,
            iterations: 1,
            parallelism: 1,
        },
        argon2_concurrency: 2,
        workers: 2,
        last_used_flush: Duration::from_millis(200),
        limiter: orgauth::config::LimiterSettings {
            max_failures_per_address: 1000,
            ..Config::defaults().limiter
        },
        trusted_proxies: Vec::new(),
        // Rate-limited answers are held back only briefly here (brute_force tests the delay).
        tarpit: orgauth::config::TarpitSettings {
            delay: Duration::from_millis(20),
            max_held: 64,
        },
        ..Config::defaults()
    }
}

pub struct TestApp {
    pub base_url: String,
    pub http: reqwest::Client,
    pub config: Config,
    /// The bootstrap admin (`platform:admin`, `org:admin`), when this start created it.
    pub admin_id: String,
    pub admin_secret: Option<String>,
    pub org_id: String,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    handle: actix_web::dev::ServerHandle,
    /// The database and keys directory this app owns (dropped with it), when it owns them.
    _db: Option<TestDatabase>,
    _keys: Option<tempfile::TempDir>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// `POST /oauth/token` with HTTP Basic and the given extra form parameters.
    pub async fn token_basic(
        &self,
        id: &str,
        secret: &str,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend_from_slice(extra);
        self.http
            .post(self.url("/oauth/token"))
            .basic_auth(id, Some(secret))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    pub async fn token_post(
        &self,
        id: &str,
        secret: &str,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ];
        form.extend_from_slice(extra);
        self.http
            .post(self.url("/oauth/token"))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// `GET path`, as any HTTP client would send it.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// `GET path` with a bearer token.
    pub async fn get_bearer(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// POSTs a raw body with the form content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub fn admin_secret(&self) -> &str {
        self.admin_secret.as_deref().expect("bootstrap secret")
    }

    pub async fn jwks(&self) -> JwkSet {
        self.http
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Verifies `token` against the served JWKS as a resource server would.
    pub async fn verify(
        &self,
        token: &str,
        audience: &str,
    ) -> (jsonwebtoken::Header, AccessTokenClaims) {
        verify_with(&self.jwks().await, token, &self.config.issuer, audience)
    }

    /// The claims of the token in a token response, verified for the default audience.
    pub async fn verify_issued(
        &self,
        body: &serde_json::Value,
    ) -> (jsonwebtoken::Header, AccessTokenClaims) {
        let token = body["access_token"].as_str().expect("a token response");
        let audience = self.config.issuer.clone();
        self.verify(token, &audience).await
    }

    pub fn stop(self) {
        self.server.abort();
    }

    /// Stops as SIGTERM would: finish in-flight requests, run the shutdown work, return.
    pub async fn stop_gracefully(self) {
        self.handle.stop(true).await;
        self.server.await.unwrap().unwrap();
    }
}

/// Starts the server on `config` and waits until it answers.
pub async fn spawn_with(config: Config) -> TestApp {
    let application = Application::build(config.clone()).expect("server starts");
    let port = application.port();
    let handle = application.handle();
    let (admin_id, admin_secret, org_id) = match &application.bootstrapped {
        Some(b) => (
            b.client_id.clone(),
            b.generated_secret.clone(),
            b.org_id.clone(),
        ),
        None => (String::new(), None, String::new()),
    };
    let server = tokio::spawn(application.run_until_stopped());
    let app = TestApp {
        base_url: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
        config,
        admin_id,
        admin_secret,
        org_id,
        server,
        handle,
        _db: None,
        _keys: None,
    };
    for _ in 0..100 {
        if app.http.get(app.url("/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app
}

/// A server with its own database and keys: the common case.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, customize: impl FnOnce(&mut Config)) -> TestApp {
    let db = TestDatabase::create(backend);
    let keys = tempfile::tempdir().unwrap();
    let mut config = test_config(&db, keys.path().to_owned());
    customize(&mut config);
    let mut app = spawn_with(config).await;
    app._db = Some(db);
    app._keys = Some(keys);
    app
}

/// A server whose issuer is its own address (`http://127.0.0.1:PORT`), for clients that build
/// URLs from the issuer or send it as an audience (third-party libraries, the console's
/// snippets).
pub async fn spawn_at_own_address(
    backend: Backend,
    customize: impl FnOnce(&mut Config),
) -> TestApp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    spawn_app_with(backend, |c| {
        c.bind = format!("127.0.0.1:{port}");
        c.issuer = format!("http://127.0.0.1:{port}");
        customize(c);
    })
    .await
}

impl TestApp {
    pub fn store(&self) -> orgauth::store::PooledConnection {
        let pool = orgauth::store::build_pool(
            &self.config.database_url,
            &orgauth::store::PoolSettings {
                max_size: 1,
                connection_timeout: Duration::from_secs(5),
            },
        );
        pool.get().unwrap()
    }

    /// Adds catalog roles directly in the store (the admin API is tested elsewhere).
    pub fn add_roles(&self, names: &[&str]) {
        let mut conn = self.store();
        for name in names {
            orgauth::service::roles::create(&mut conn, &OPERATOR, name, "test role").unwrap();
        }
    }

    /// Creates a client in the bootstrap organization; returns (client_id, client_secret).
    pub fn create_client(&self, roles: &[&str]) -> (String, String) {
        let mut conn = self.store();
        let hasher = orgauth::app::secret_hasher(&self.config).unwrap();
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        let created = orgauth::service::clients::create(
            &mut conn,
            &hasher,
            &OPERATOR,
            orgauth::service::clients::NewClient {
                org_id: orgauth::domain::OrgId::parse(&self.org_id).unwrap(),
                name: orgauth::domain::DisplayName::parse("test client").unwrap(),
                roles: orgauth::domain::RoleSet::parse(&roles).unwrap(),
                id: None,
                secret: None,
                settings: Default::default(),
                secret_expires_at: None,
            },
        )
        .unwrap();
        (created.client.row.id, created.secret.into_plaintext())
    }
}
