//! What an operator relies on: health, metrics, bounded requests, files, and surviving a
//! database outage.

use std::time::{Duration, Instant};

use crate::common::proxy::CuttableProxy;
use crate::common::{Backend, TestDatabase, spawn_app, spawn_with, test_config};
use orgauth::domain::NewClientSecret;
use serde_json::Value;

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
        "orgauth_http_requests_total{method=\"POST\",route=\"/oauth/token\",status=\"2xx\"}",
        "orgauth_http_requests_total{method=\"POST\",route=\"/oauth/token\",status=\"4xx\"}",
        "orgauth_http_requests_total{method=\"GET\",route=\"/admin/v1/roles\",status=\"2xx\"}",
        concat!(
            "orgauth_build_info{version=\"",
            env!("CARGO_PKG_VERSION"),
            "\"} 1"
        ),
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    assert!(!text.contains("oas_"), "no secret in metrics");
    // The watcher confirms every ~100 ms: the confirmation is recent.
    let age: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("orgauth_change_confirmation_age_seconds "))
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.0..1.0).contains(&age), "{age}");
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
    // The key-encryption key generated on first start is checked like a private key.
    let key = keys.path().join("kek");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o666)).unwrap();
    let error = orgauth::app::Application::build(test_config(&db, keys.path().to_owned()))
        .err()
        .expect("a group-writable key-encryption key is refused")
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pem_keys_of_an_existing_install_are_imported_with_their_kids() {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let older =
        orgauth::token::generate_key(keys.path(), orgauth::token::SigningAlg::Es256).unwrap();
    let newer =
        orgauth::token::generate_key(keys.path(), orgauth::token::SigningAlg::EdDsa).unwrap();
    let app = spawn_with(test_config(&db, keys.path().to_owned())).await;
    let jwks = app.jwks().await;
    assert!(jwks.find(&older.kid).is_some() && jwks.find(&newer.kid).is_some());
    let token = app.access_token(&app.admin_id, app.admin_secret()).await;
    assert_eq!(
        crate::common::raw_header(&token)["kid"],
        newer.kid.as_str(),
        "the newest file signs"
    );
    // A second start with another key-encryption key cannot open them: it says which variable.
    let mut other = test_config(&db, keys.path().to_owned());
    other.key_encryption_key = Some(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        [9u8; 32],
    ));
    let error = orgauth::app::Application::build(other)
        .err()
        .expect("the wrong key-encryption key is refused")
        .to_string();
    assert!(error.contains("ORGAUTH_KEY_ENCRYPTION_KEY"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_move_to_an_operations_listener_of_their_own() {
    use crate::common::process::{free_port, server_command, wait_until_up};
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let (port, ops_port) = (free_port(), free_port());
    let secret = orgauth::domain::NewClientSecret::generate().into_plaintext();
    let mut server = server_command(&db, keys.path(), port, &secret)
        .env("ORGAUTH_OPS_BIND", format!("127.0.0.1:{ops_port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (main, ops) = (
        format!("http://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{ops_port}"),
    );
    wait_until_up(&main).await;
    let http = reqwest::Client::new();
    let status = |url: String| {
        let http = http.clone();
        async move { http.get(url).send().await.unwrap().status().as_u16() }
    };
    let token = http
        .post(format!("{main}/oauth/token"))
        .basic_auth("ops-admin", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    let scraped = http
        .get(format!("{ops}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        scraped.contains("orgauth_token_requests_total{outcome=\"issued\"} 1"),
        "{scraped}"
    );
    // Every series an alert watches exists at 0 before its first event; the process metrics
    // have their standard names and fractional CPU seconds; latency buckets reach past the
    // database timeout.
    for series in [
        "orgauth_token_requests_total{outcome=\"unavailable\"} 0",
        "orgauth_token_requests_total{outcome=\"rate_limited\"} 0",
        "orgauth_http_requests_total{method=\"POST\",route=\"/oauth/token\",status=\"5xx\"} 0",
        "orgauth_http_requests_total{method=\"POST\",route=\"/oauth/introspect\",status=\"5xx\"} 0",
        "orgauth_admin_requests_total{status=\"500\"} 0",
        "orgauth_job_runs_total{job=\"key_maintenance\",outcome=\"failed\"} 0",
        "orgauth_client_secrets_expiring{within=\"7d\"}",
        "orgauth_argon2_waiting 0",
        "orgauth_ready 1",
        "orgauth_argon2_overloaded_total 0",
        "orgauth_rate_limited_total{reason=\"failures\"} 0",
        "orgauth_tarpit_held 0",
        "orgauth_tarpit_closed_total 0",
        "orgauth_remote_fetches_total{outcome=\"failed\"} 0",
        "orgauth_remote_fetch_duration_seconds_count 0",
        "le=\"10\"",
        "process_resident_memory_bytes ",
        "process_open_fds ",
        "process_start_time_seconds ",
    ] {
        assert!(scraped.contains(series), "missing {series} in\n{scraped}");
    }
    assert!(!scraped.contains("orgauth_process_"), "{scraped}");
    let cpu: f64 = scraped
        .lines()
        .find_map(|l| l.strip_prefix("process_cpu_seconds_total "))
        .expect("process_cpu_seconds_total")
        .parse()
        .unwrap();
    // A fresh process has used well under a second: counted in whole seconds it would be 0.
    assert!(cpu > 0.0, "whole seconds only: {cpu}");
    assert_eq!(status(format!("{main}/metrics")).await, 404);
    assert_eq!(status(format!("{ops}/healthz")).await, 200);
    assert_eq!(status(format!("{ops}/readyz")).await, 200);
    assert_eq!(status(format!("{main}/healthz")).await, 200);
    assert_eq!(status(format!("{ops}/.well-known/jwks.json")).await, 404);
    assert_eq!(status(format!("{ops}/admin/v1/roles")).await, 404);
    let _ = server.kill();
    let _ = server.wait();
}

/// Secrets about to expire are counted for alerting: expired, within 7 days, within 30 days.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiring_client_secrets_are_counted_in_the_metrics() {
    let s = crate::common::spawn_app(crate::common::Backend::Sqlite).await;
    let app = &s;
    let admin = app.platform_admin().await;
    let clients = format!("/organizations/{}/clients", app.org_id);
    for days in [3, 20, 200] {
        let at = (chrono::Utc::now() + chrono::TimeDelta::days(days)).to_rfc3339();
        let res = admin
            .post(
                &clients,
                serde_json::json!({"name": format!("in {days} days"), "roles": [],
                                   "client_secret_expires_at": at}),
            )
            .await;
        assert_eq!(res.status, 201);
    }
    // The maintenance pass counts them (every 200 ms in tests, every minute by default).
    let wanted = [
        "orgauth_client_secrets_expiring{within=\"expired\"} 0",
        "orgauth_client_secrets_expiring{within=\"7d\"} 1",
        "orgauth_client_secrets_expiring{within=\"30d\"} 2",
    ];
    let mut metrics = String::new();
    for _ in 0..50 {
        metrics = app.get("/metrics").await.text().await.unwrap();
        if wanted.iter().all(|w| metrics.contains(w)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{wanted:?} not in:\n{metrics}");
}
