//! What an operator relies on: brute-force protection, bounded argon2 work, health, metrics,
//! and surviving a database outage.

use std::time::{Duration, Instant};

use crate::common::proxy::CuttableProxy;
use crate::common::{Backend, TestDatabase, spawn_app, spawn_app_with, spawn_with, test_config};
use orgauth::domain::NewClientSecret;
use orgauth::http::client_address::ClientAddressResolver;
use serde_json::Value;

on_both_backends!(
    repeated_failures_for_a_client_are_rate_limited_but_its_owner_is_not,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let (id, secret) = app.create_client(&[]);
        // The owner has a verified secret before the attack starts.
        assert_eq!(app.token_basic(&id, &secret, &[]).await.status(), 200);

        let wrong = NewClientSecret::generate().into_plaintext();
        for _ in 0..10 {
            assert_eq!(app.token_basic(&id, &wrong, &[]).await.status(), 401);
        }
        let res = app.token_basic(&id, &wrong, &[]).await;
        assert_eq!(res.status(), 429);
        assert!(
            res.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                >= 1
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "temporarily_unavailable");

        // The owner is not slowed; another client is unaffected.
        assert_eq!(app.token_basic(&id, &secret, &[]).await.status(), 200);
        let (other, other_secret) = app.create_client(&[]);
        assert_eq!(
            app.token_basic(&other, &other_secret, &[]).await.status(),
            200
        );
        // Unknown client IDs are limited the same way (nothing reveals existence).
        for _ in 0..10 {
            app.token_basic("no-such-client", &wrong, &[]).await;
        }
        assert_eq!(
            app.token_basic("no-such-client", &wrong, &[])
                .await
                .status(),
            429
        );
    }
);

on_both_backends!(
    failures_are_limited_per_source_address_behind_a_trusted_proxy,
    |backend: Backend| async move {
        let s = spawn_app_with(backend, |c| {
            c.limiter.max_failures_per_address = 5;
            c.trusted_proxy_header = Some(actix_web::http::header::HeaderName::from_static(
                "x-forwarded-for",
            ));
            c.trusted_proxies =
                ClientAddressResolver::parse_networks("127.0.0.0/8, 10.0.0.0/8").unwrap();
        })
        .await;
        let app = &s;
        let wrong = NewClientSecret::generate().into_plaintext();
        let attempt = |client: String, forwarded: Option<&'static str>| {
            let wrong = wrong.clone();
            async move {
                let mut req = app
                    .http
                    .post(app.url("/oauth/token"))
                    .basic_auth(client, Some(wrong))
                    .form(&[("grant_type", "client_credentials")]);
                if let Some(f) = forwarded {
                    req = req.header("x-forwarded-for", f);
                }
                req.send().await.unwrap().status()
            }
        };
        for i in 0..5 {
            assert_eq!(
                attempt(format!("guess-{i}"), Some("198.51.100.7, 10.0.0.1")).await,
                401
            );
        }
        assert_eq!(
            attempt("guess-next".into(), Some("198.51.100.7:51000, 10.0.0.5")).await,
            429,
            "the right-most untrusted hop is the caller, with or without a port"
        );
        assert_eq!(
            attempt(
                "guess-next".into(),
                Some("203.0.113.1, 198.51.100.7, 10.0.0.1")
            )
            .await,
            429,
            "entries forged left of the real one do not help"
        );
        assert_eq!(
            attempt("guess-next".into(), Some("203.0.113.9, 10.0.0.1")).await,
            401,
            "another address is not limited"
        );
        // Without the header, or with garbage in it, the peer itself is the address: still
        // limited, never unlimited.
        assert_eq!(attempt("guess-next".into(), None).await, 401);
        for _ in 0..4 {
            attempt("guess-next".into(), Some("not-an-address")).await;
        }
        assert_eq!(attempt("guess-next".into(), None).await, 429);
    }
);

/// A client that sends from `address` (the whole 127.0.0.0/8 range is loopback).
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn token_from(
    http: &reqwest::Client,
    app: &crate::common::TestApp,
    id: &str,
    secret: &str,
) -> reqwest::StatusCode {
    http.post(app.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
}

on_both_backends!(
    wrong_secrets_from_one_address_never_lock_the_real_client_out,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        // Never used, so not verified on this instance: the state after a restart, an admin
        // change or a rotation.
        let (id, secret) = app.create_client(&[]);
        let attacker = client_from("127.0.0.2");
        let wrong = NewClientSecret::generate().into_plaintext();
        let mut statuses = Vec::new();
        for _ in 0..25 {
            statuses.push(token_from(&attacker, app, &id, &wrong).await.as_u16());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 10);
        assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 15);

        let owner = client_from("127.0.0.3");
        assert_eq!(token_from(&owner, app, &id, &secret).await, 200);
        // The attacking address is still refused.
        assert_eq!(token_from(&attacker, app, &id, &wrong).await, 429);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_burst_gets_no_more_verifications_than_the_limit() {
    let s = spawn_app_with(Backend::Sqlite, |c| c.limiter.max_failures_per_client = 3).await;
    let app = &s;
    let (id, _) = app.create_client(&[]);
    let wrong = NewClientSecret::generate().into_plaintext();
    let burst = (0..30).map(|_| app.token_basic(&id, &wrong, &[]));
    let statuses: Vec<u16> = futures_util::future::join_all(burst)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(checked, 3, "attempts with a limit of 3: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 27);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_argon2_flood_is_bounded_and_answered_503() {
    let s = spawn_app_with(Backend::Sqlite, |c| {
        c.argon2_concurrency = 1;
        c.argon2_queue_timeout = Duration::from_millis(1);
        c.limiter.max_failures_per_address = 100_000;
    })
    .await;
    let app = &s;
    let wrong = NewClientSecret::generate().into_plaintext();
    let mut flood = tokio::task::JoinSet::new();
    for i in 0..60 {
        let (http, url, wrong) = (app.http.clone(), app.url("/oauth/token"), wrong.clone());
        flood.spawn(async move {
            http.post(url)
                .basic_auth(format!("flood-{i}"), Some(wrong))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
        });
    }
    let responses = flood.join_all().await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 503),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&503),
        "some requests must be shed: {statuses:?}"
    );
    let shed = responses.iter().find(|r| r.status() == 503).unwrap();
    assert_eq!(shed.headers()["retry-after"], "1");
    // Legitimate traffic still works afterwards.
    assert_eq!(
        app.token_basic(&app.admin_id, app.admin_secret(), &[])
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics() {
    let s = spawn_app(Backend::Sqlite).await;
    let app = &s;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);

    app.access_token(&app.admin_id, app.admin_secret()).await;
    app.access_token(&app.admin_id, app.admin_secret()).await;
    app.token_basic(
        &app.admin_id,
        &NewClientSecret::generate().into_plaintext(),
        &[],
    )
    .await;
    let admin = app.platform_admin().await;
    admin.get("/roles").await;

    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    for needle in [
        "orgauth_token_requests_total{outcome=\"issued\"}",
        "orgauth_token_requests_total{outcome=\"invalid_client\"}",
        "orgauth_secret_verifications_total{path=\"argon2\"}",
        "orgauth_secret_verifications_total{path=\"cache\"}",
        "orgauth_http_request_duration_seconds_bucket{method=\"POST\",route=\"/oauth/token\"",
        "orgauth_admin_requests_total{status=\"200\"}",
        "orgauth_db_pool_connections",
        "orgauth_db_pool_idle_connections",
        "orgauth_db_pool_wait_seconds_count",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    assert!(!text.contains("oas_"), "no secret in metrics");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_gives_503_and_service_resumes_without_restart() {
    if !crate::common::postgres_available() {
        return;
    }
    let db = TestDatabase::create(Backend::Postgres);
    let (hostport, name) = {
        let rest = db.url.split("@").nth(1).unwrap();
        let (hostport, name) = rest.split_once('/').unwrap();
        (hostport.to_owned(), name.to_owned())
    };
    let user = db
        .url
        .split("://")
        .nth(1)
        .unwrap()
        .split('@')
        .next()
        .unwrap()
        .to_owned();
    let proxy = CuttableProxy::start(hostport).await;
    let keys = tempfile::tempdir().unwrap();
    let mut config = test_config(&db, keys.path().to_owned());
    config.database_url = orgauth::store::DatabaseUrl::parse(&format!(
        "postgres://{user}@127.0.0.1:{}/{name}",
        proxy.port
    ));
    config.db_timeout = Duration::from_secs(1);
    let app = spawn_with(config).await;
    let (id, secret) = (app.admin_id.clone(), app.admin_secret().to_owned());
    let admin = app.platform_admin().await;
    assert_eq!(app.token_basic(&id, &secret, &[]).await.status(), 200);

    proxy.cut().await;
    // A cached client is served from memory only while changes can be heard: the change
    // listener notices the cut within its poll interval, and from then on the database is
    // needed, so the answer is 503.
    let noticed = Instant::now();
    while app.token_basic(&id, &secret, &[]).await.status() != 503 {
        assert!(
            noticed.elapsed() < Duration::from_secs(2),
            "the outage goes unnoticed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for _ in 0..3 {
        let started = Instant::now();
        let res = app.token_basic(&id, &secret, &[]).await;
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["retry-after"], "1");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "answered within the pool timeout"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "temporarily_unavailable");
    }
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);
    let res = admin.get("/roles").await;
    crate::common::assert_problem(&res, 503);

    proxy.restore();
    let mut recovered = false;
    for _ in 0..50 {
        if app.token_basic(&id, &secret, &[]).await.status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "service resumes once the database is back");
    assert_eq!(app.get("/readyz").await.status(), 200);
    assert_eq!(admin.get("/roles").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invented_http_methods_do_not_grow_the_metrics() {
    let s = spawn_app(Backend::Sqlite).await;
    let app = &s;
    let metrics = || async { app.get("/metrics").await.text().await.unwrap() };
    for i in 0..5 {
        let method = reqwest::Method::from_bytes(format!("WARMUP{i}").as_bytes()).unwrap();
        app.http
            .request(method, app.url("/x"))
            .send()
            .await
            .unwrap();
    }
    let before = metrics().await.len();
    for i in 0..100 {
        let method = reqwest::Method::from_bytes(format!("BOGUS{i}").as_bytes()).unwrap();
        app.http
            .request(method, app.url(&format!("/nowhere/{i}")))
            .send()
            .await
            .unwrap();
    }
    let after = metrics().await;
    assert!(!after.contains("BOGUS"), "a method name became a label");
    assert!(
        after.len() < before + 2_000,
        "/metrics grew from {before} to {} bytes",
        after.len()
    );
    assert!(after.contains(r#"method="other""#));
}

/// Sends the headers and part of a body, then nothing; returns what the server answered and
/// how long it took.
async fn stalled_body(app: &crate::common::TestApp, request_head: &str) -> (String, Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let started = Instant::now();
    stream.write_all(request_head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was held for 15 s");
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_completes_is_answered_408() {
    let s = spawn_app(Backend::Sqlite).await;
    let app = &s;
    let (answer, took) = stalled_body(
        app,
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 200\r\n\r\ngrant_type=client_",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("invalid_request"), "{answer}");
    assert!(took < Duration::from_secs(10), "{took:?}");

    let token = app.admin_token(&app.admin_id, app.admin_secret()).await;
    let (answer, took) = stalled_body(
        app,
        &format!(
            "POST /admin/v1/roles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"name\""
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// The server binary on its own SQLite file, so its metrics are its own.
struct ServerProcess {
    child: std::process::Child,
    base: String,
    _db: TestDatabase,
    _keys: tempfile::TempDir,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn server_process(admin_secret: &str) -> ServerProcess {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_orgauth"))
        .env("DATABASE_URL", &db.url)
        .env("ORGAUTH_KEYS_DIR", keys.path())
        .env("ORGAUTH_BIND", format!("127.0.0.1:{port}"))
        .env("ORGAUTH_BOOTSTRAP_CLIENT_ID", "ops-admin")
        .env("ORGAUTH_BOOTSTRAP_CLIENT_SECRET", admin_secret)
        .env("ORGAUTH_ARGON2_MEMORY_KIB", "4096")
        .env("ORGAUTH_ARGON2_ITERATIONS", "1")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ServerProcess {
        child,
        base,
        _db: db,
        _keys: keys,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_costs_the_same_whether_or_not_a_rotation_is_under_way() {
    let admin_secret = NewClientSecret::generate().into_plaintext();
    let server = server_process(&admin_secret).await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.base);
    let argon2_verifications = || async {
        let text = http
            .get(url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find(|l| l.starts_with("orgauth_secret_verifications_total") && l.contains("argon2"))
            .and_then(|l| l.rsplit(' ').next())
            .map_or(0.0, |n| n.parse::<f64>().unwrap())
    };
    let token = |id: &str, secret: &str, extra: &[(&str, &str)]| {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend_from_slice(extra);
        http.post(url("/oauth/token"))
            .basic_auth(id, Some(secret))
            .form(&form)
            .send()
    };
    let body: Value = token("ops-admin", &admin_secret, &[("audience", &server.base)])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = body["access_token"].as_str().unwrap().to_owned();
    let org = {
        let clients: Value = http
            .get(url("/admin/v1/organizations"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        clients[0]["id"].as_str().unwrap().to_owned()
    };
    let created: Value = http
        .post(url(&format!("/admin/v1/organizations/{org}/clients")))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"name": "svc", "roles": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let svc = created["client_id"].as_str().unwrap().to_owned();
    let wrong = NewClientSecret::generate().into_plaintext();

    let cost_of_failure = |id: String| {
        let wrong = wrong.clone();
        async move {
            let before = argon2_verifications().await;
            let res = token(&id, &wrong, &[]).await.unwrap();
            assert_eq!(res.status(), 401);
            argon2_verifications().await - before
        }
    };
    let no_grace = cost_of_failure(svc.clone()).await;
    let unknown = cost_of_failure("no-such-client".into()).await;
    let rotated = http
        .post(url(&format!(
            "/admin/v1/organizations/{org}/clients/{svc}/secret"
        )))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"grace_period_seconds": 600}))
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), 200);
    let during_grace = cost_of_failure(svc.clone()).await;
    assert_eq!((no_grace, unknown, during_grace), (2.0, 2.0, 2.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writable_key_directories_are_refused_and_sqlite_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    std::fs::set_permissions(keys.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let error = orgauth::app::Application::build(test_config(&db, keys.path().to_owned()))
        .err()
        .expect("a world-writable keys directory is refused")
        .to_string();
    assert!(
        error.contains(&keys.path().display().to_string()),
        "{error}"
    );
    assert!(error.contains("chmod go-w"), "{error}");

    std::fs::set_permissions(keys.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let app = spawn_with(test_config(&db, keys.path().to_owned())).await;
    let key = std::fs::read_dir(keys.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o666)).unwrap();
    let error = orgauth::app::Application::build(test_config(&db, keys.path().to_owned()))
        .err()
        .expect("a group-writable key file is refused")
        .to_string();
    assert!(error.contains(&key.display().to_string()), "{error}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = orgauth::app::Application::build(test_config(&db, keys.path().to_owned()))
        .err()
        .expect("a world-readable private key is refused")
        .to_string();
    assert!(error.contains("chmod 600"), "{error}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();

    assert_eq!(
        app.token_basic(&app.admin_id, app.admin_secret(), &[])
            .await
            .status(),
        200
    );
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", db.url);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{path} has mode {mode:o}");
    }
}
