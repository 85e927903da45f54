//! Test harness: every test starts the real server (`Application::build`, as `main` does) on a
//! random port with a database of its own, on SQLite always and on Postgres when
//! `TEST_DATABASE_URL` is set. With `CI=true` a missing or unreachable Postgres fails the
//! test instead of skipping it.
#![allow(dead_code)]

pub mod proxy;

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::{Connection, PgConnection, RunQueryDsl};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use orgauth::app::Application;
use orgauth::config::{Argon2Cost, Config};
use orgauth::domain::random_base62;
use orgauth::store::DatabaseUrl;
use orgauth::token::{AccessTokenClaims, SigningAlg};
use serde_json::Value;

const OPERATOR: orgauth::service::Actor = orgauth::service::Actor::Operator("test");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `$body` (a closure taking a `TestApp`-free `Backend`) as two tests, one per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::common::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::common::postgres_available() {
                    ($body)($crate::common::Backend::Postgres).await;
                }
            }
        }
    };
}

/// Whether the Postgres variant should run: `TEST_DATABASE_URL` set. Under `CI=true` its
/// absence is a failure.
pub fn postgres_available() -> bool {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("CI=true but TEST_DATABASE_URL is not set: the Postgres suite must run in CI");
    }
    eprintln!("skipping the Postgres variant: TEST_DATABASE_URL is not set");
    false
}

/// A database of the test's own, dropped at the end.
pub struct TestDatabase {
    pub url: String,
    pg_admin: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = dir.path().join("orgauth.db").display().to_string();
                Self {
                    url,
                    pg_admin: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL").unwrap();
                orgauth::store::init_tls();
                let name = format!("orgauth_test_{}", random_base62(12).to_lowercase());
                let mut conn = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
                    panic!("TEST_DATABASE_URL={admin_url} is unreachable: {e}")
                });
                diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .unwrap();
                let (base, _) = admin_url.rsplit_once('/').expect("URL names a database");
                Self {
                    url: format!("{base}/{name}"),
                    pg_admin: Some((admin_url, name)),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.pg_admin
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

/// A config for tests: a fresh database and keys directory, a random port, cheap argon2.
pub fn test_config(db: &TestDatabase, keys_dir: PathBuf) -> Config {
    Config {
        database_url: DatabaseUrl::parse(&db.url),
        bind: "127.0.0.1:0".into(),
        issuer: "http://orgauth.test".into(),
        keys_dir,
        signing_alg: SigningAlg::Es256,
        token_ttl: Duration::from_secs(3600),
        audiences: Vec::new(),
        pool_size: 4,
        db_timeout: Duration::from_secs(5),
        argon2: Argon2Cost {
            memory_kib: 4096,
            iterations: 1,
            parallelism: 1,
        },
        argon2_concurrency: 2,
        workers: 2,
        last_used_flush: Duration::from_millis(200),
        argon2_queue_timeout: Duration::from_millis(500),
        limiter: orgauth::client_auth::LimiterSettings {
            max_failures_per_client: 10,
            max_failures_per_address: 1000,
            window: Duration::from_secs(60),
        },
        trusted_proxy_header: None,
        trusted_proxies: Vec::new(),
        bootstrap_client_id: None,
        bootstrap_client_secret: None,
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

    pub fn stop(self) {
        self.server.abort();
    }

    /// Stops as SIGTERM would: finish in-flight requests, run the shutdown work, return.
    pub async fn stop_gracefully(self) {
        self.handle.stop(true).await;
        self.server.await.unwrap().unwrap();
    }
}

pub fn verify_with(
    jwks: &JwkSet,
    token: &str,
    issuer: &str,
    audience: &str,
) -> (jsonwebtoken::Header, AccessTokenClaims) {
    let header = jsonwebtoken::decode_header(token).unwrap();
    let kid = header.kid.as_deref().expect("token has a kid");
    let jwk = jwks
        .find(kid)
        .unwrap_or_else(|| panic!("kid {kid} is not in the JWKS"));
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iat", "nbf", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<AccessTokenClaims>(
        token,
        &DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap_or_else(|e| panic!("token does not verify: {e}"));
    (data.header, data.claims)
}

/// The decoded JOSE header as JSON, to check `typ` exactly as sent.
pub fn raw_header(token: &str) -> Value {
    let segment = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
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
pub struct Spawned {
    pub app: TestApp,
    pub db: TestDatabase,
    pub keys: tempfile::TempDir,
}

pub async fn spawn_app(backend: Backend) -> Spawned {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, customize: impl FnOnce(&mut Config)) -> Spawned {
    let db = TestDatabase::create(backend);
    let keys = tempfile::tempdir().unwrap();
    let mut config = test_config(&db, keys.path().to_owned());
    customize(&mut config);
    let app = spawn_with(config).await;
    Spawned { app, db, keys }
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
                org_id: &self.org_id,
                name: "test client",
                roles: &roles,
                id: None,
                secret: None,
            },
        )
        .unwrap();
        (created.client.row.id, created.secret.into_plaintext())
    }
}

/// A response as the admin tests look at it.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

/// Talks to the admin API with one bearer token, keeping every response body it saw so a
/// test can check that no secret was ever returned twice.
pub struct AdminApi<'a> {
    pub app: &'a TestApp,
    pub token: String,
    pub seen: std::sync::Mutex<Vec<String>>,
}

impl TestApp {
    /// An access token for the client, or a panic with the server's answer.
    pub async fn access_token(&self, id: &str, secret: &str) -> String {
        let res = self.token_basic(id, secret, &[]).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "token for {id}: {body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A token for the admin API: its audience is the issuer.
    pub async fn admin_token(&self, id: &str, secret: &str) -> String {
        let res = self
            .token_basic(id, secret, &[("audience", &self.config.issuer)])
            .await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "admin token for {id}: {body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn admin_api(&self, id: &str, secret: &str) -> AdminApi<'_> {
        AdminApi {
            app: self,
            token: self.admin_token(id, secret).await,
            seen: Default::default(),
        }
    }

    /// The bootstrap admin (platform:admin + org:admin).
    pub async fn platform_admin(&self) -> AdminApi<'_> {
        self.admin_api(&self.admin_id, self.admin_secret()).await
    }
}

impl AdminApi<'_> {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> ApiResponse {
        let mut req = self
            .app
            .http
            .request(method, self.app.url(&format!("/admin/v1{path}")))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = res.text().await.unwrap();
        self.seen.lock().unwrap().push(text.clone());
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        ApiResponse {
            status,
            content_type,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> ApiResponse {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> ApiResponse {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> ApiResponse {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> ApiResponse {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// Creates a client over the API; returns (client_id, client_secret).
    pub async fn create_client(
        &self,
        org_id: &str,
        name: &str,
        roles: &[&str],
    ) -> (String, String) {
        let res = self
            .post(
                &format!("/organizations/{org_id}/clients"),
                serde_json::json!({"name": name, "roles": roles}),
            )
            .await;
        assert_eq!(res.status, 201, "{:?}", res.body);
        (
            res.body["client_id"].as_str().unwrap().to_owned(),
            res.body["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn create_org(&self, name: &str) -> String {
        let res = self
            .post("/organizations", serde_json::json!({"name": name}))
            .await;
        assert_eq!(res.status, 201, "{:?}", res.body);
        res.body["id"].as_str().unwrap().to_owned()
    }

    pub async fn create_role(&self, name: &str) {
        let res = self
            .post(
                "/roles",
                serde_json::json!({"name": name, "description": format!("{name} role")}),
            )
            .await;
        assert_eq!(res.status, 201, "{:?}", res.body);
    }
}

/// Asserts an RFC 9457 problem document with `status`.
pub fn assert_problem(res: &ApiResponse, status: u16) {
    assert_eq!(res.status, status, "{:?}", res.body);
    assert!(
        res.content_type.starts_with("application/problem+json"),
        "content type {}",
        res.content_type
    );
    assert_eq!(res.body["status"], status);
    assert!(res.body["type"].is_string() && res.body["title"].is_string());
    assert!(res.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}
