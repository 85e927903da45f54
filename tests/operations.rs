//! What an operator relies on: brute-force protection, bounded argon2 work, health, metrics,
//! and surviving a database outage.

mod common;

use std::time::{Duration, Instant};

use common::proxy::CuttableProxy;
use common::{Backend, TestDatabase, spawn_app, spawn_app_with, spawn_with, test_config};
use orgauth::domain::NewClientSecret;
use serde_json::Value;

on_both_backends!(
    repeated_failures_for_a_client_are_rate_limited_but_its_owner_is_not,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s.app;
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
        })
        .await;
        let app = &s.app;
        let wrong = NewClientSecret::generate().into_plaintext();
        let attempt = |client: String, forwarded: &'static str| {
            let wrong = wrong.clone();
            async move {
                app.http
                    .post(app.url("/oauth/token"))
                    .basic_auth(client, Some(wrong))
                    .header("x-forwarded-for", forwarded)
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        for i in 0..5 {
            assert_eq!(
                attempt(format!("guess-{i}"), "198.51.100.7, 10.0.0.1").await,
                401
            );
        }
        assert_eq!(
            attempt("guess-next".into(), "203.0.113.9, 10.0.0.1").await,
            429,
            "the proxy-appended address counts"
        );
        assert_eq!(
            attempt("guess-next".into(), "10.0.0.2").await,
            401,
            "another address is not limited"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_argon2_flood_is_bounded_and_answered_503() {
    let s = spawn_app_with(Backend::Sqlite, |c| {
        c.argon2_concurrency = 1;
        c.argon2_queue_timeout = Duration::from_millis(1);
        c.limiter.max_failures_per_address = 100_000;
    })
    .await;
    let app = &s.app;
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
    let app = &s.app;
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

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

    let res = app.http.get(app.url("/metrics")).send().await.unwrap();
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
    if !common::postgres_available() {
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
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let res = admin.get("/roles").await;
    common::assert_problem(&res, 503);

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
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(admin.get("/roles").await.status, 200);
}
