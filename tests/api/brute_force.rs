//! Brute-force protection as an attacker meets it: per client and address, never a lockout
//! lever, bounded under concurrency, behind trusted proxies, and at a cost that tells nothing.

use std::time::Duration;

use crate::common::process::{free_port, server_command, wait_until_up};
use crate::common::{Backend, TestDatabase, spawn_app, spawn_app_with};
use orgauth::domain::NewClientSecret;
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
            c.trusted_proxies = orgauth::config::parse_networks("127.0.0.0/8, 10.0.0.0/8").unwrap();
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
    // Thirty different wrong secrets (the same one would share a single verification).
    let wrong: Vec<String> = (0..30)
        .map(|_| NewClientSecret::generate().into_plaintext())
        .collect();
    let burst = wrong.iter().map(|w| app.token_basic(&id, w, &[]));
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
    let port = free_port();
    let child = server_command(&db, keys.path(), port, admin_secret)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_until_up(&base).await;
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
async fn a_herd_presenting_a_just_rotated_secret_shares_one_verification() {
    // One argon2 slot, a verification slower than the queue timeout: the herd arrives while
    // the first verification runs, and each request that had to wait for its own would be 503.
    let s = spawn_app_with(Backend::Sqlite, |c| {
        c.argon2_concurrency = 1;
        c.argon2_queue_timeout = Duration::from_millis(50);
        c.argon2 = orgauth::config::Argon2Cost {
            memory_kib: 65_536,
            iterations: 3,
            parallelism: 1,
        };
    })
    .await;
    let app = &s;
    let admin = app.platform_admin().await;
    let (id, _) = admin.create_client(&app.org_id, "fleet", &[]).await;
    let rotated = admin
        .post(
            &format!("/organizations/{}/clients/{id}/secret", app.org_id),
            serde_json::json!({}),
        )
        .await;
    let secret = rotated.body["client_secret"].as_str().unwrap().to_owned();
    let herd = (0..96).map(|_| app.token_basic(&id, &secret, &[]));
    let statuses: Vec<u16> = futures_util::future::join_all(herd)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

on_both_backends!(
    secrets_hashed_at_another_cost_are_rehashed_on_their_next_use,
    |backend: Backend| async move {
        use diesel::prelude::*;
        use orgauth::store::schema::clients;
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let mut config = crate::common::test_config(&db, keys.path().to_owned());
        config.argon2 = orgauth::config::Argon2Cost {
            memory_kib: 4096,
            iterations: 2,
            parallelism: 1,
        };
        let before = crate::common::spawn_with(config.clone()).await;
        let (id, secret) = before.create_client(&[]);
        let stored = |app: &crate::common::TestApp| -> String {
            let mut conn = app.store();
            clients::table
                .find(&id)
                .select(clients::secret_hash)
                .first(&mut **conn)
                .unwrap()
        };
        assert!(stored(&before).contains("m=4096,t=2"));
        before.stop_gracefully().await;

        // Restarted with the cheaper cost: the next successful use re-hashes the secret.
        config.argon2 = orgauth::config::Argon2Cost {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        let after = crate::common::spawn_with(config).await;
        assert_eq!(after.token_basic(&id, &secret, &[]).await.status(), 200);
        let started = std::time::Instant::now();
        while !stored(&after).contains("m=1024,t=1") {
            assert!(started.elapsed() < Duration::from_secs(2), "not re-hashed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The same secret keeps working against the new hash; a wrong one still fails.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(after.token_basic(&id, &secret, &[]).await.status(), 200);
        let wrong = NewClientSecret::generate().into_plaintext();
        assert_eq!(after.token_basic(&id, &wrong, &[]).await.status(), 401);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_over_its_limit_is_held_back_and_past_the_cap_disconnected() {
    use std::time::Instant;
    let delay = Duration::from_millis(600);
    let s = spawn_app_with(Backend::Sqlite, |c| {
        c.limiter.max_failures_per_client = 1;
        // Eight places, a quarter of them (two) for any one address.
        c.tarpit = orgauth::config::TarpitSettings { delay, max_held: 8 };
    })
    .await;
    let app = &s;
    let (id, _) = app.create_client(&[]);
    let (owner, owner_secret) = app.create_client(&[]);
    assert_eq!(
        app.token_basic(&owner, &owner_secret, &[]).await.status(),
        200
    );
    let wrong = || NewClientSecret::generate().into_plaintext();
    assert_eq!(app.token_basic(&id, &wrong(), &[]).await.status(), 401);

    // Over the limit: the 429 comes after the delay, on a connection that stays open.
    let started = Instant::now();
    let res = app.token_basic(&id, &wrong(), &[]).await;
    assert_eq!(res.status(), 429);
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    assert!(res.headers().get("connection").is_none());

    // Six at once, each on a connection of its own: two are held, the other four are answered
    // at once and disconnected. Meanwhile another client's owner is not slowed.
    // A raw HTTP/1.1 exchange, to see whether the server closes the connection after it.
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let id = &id;
    let address = &address;
    let timed = |secret: String| async move {
        use base64::Engine;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        let body = "grant_type=client_credentials";
        let request = format!(
            "POST /oauth/token HTTP/1.1\r\nHost: {address}\r\nAuthorization: Basic {basic}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let started = Instant::now();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let mut buf = [0; 4096];
        // Until the JSON body's end; then whether the server hangs up within 200 ms.
        while !answer.ends_with(b"}") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before the answer");
            answer.extend_from_slice(&buf[..n]);
        }
        let took = started.elapsed();
        let read_more = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf));
        let closed = matches!(read_more.await, Ok(Ok(0)) | Ok(Err(_)));
        let status: u16 = String::from_utf8_lossy(&answer[9..12]).parse().unwrap();
        (status, took, closed)
    };
    let flood = futures_util::future::join_all((0..6).map(|_| timed(wrong())));
    let owner_token = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        let status = app.token_basic(&owner, &owner_secret, &[]).await.status();
        (status, started.elapsed())
    };
    let (answers, (owner_status, owner_took)) = tokio::join!(flood, owner_token);
    assert!(
        answers.iter().all(|(status, _, _)| *status == 429),
        "{answers:?}"
    );
    let held = answers
        .iter()
        .filter(|(_, took, closed)| *took >= delay && !closed);
    let dropped = answers
        .iter()
        .filter(|(_, took, closed)| *took < delay / 2 && *closed);
    assert_eq!((held.count(), dropped.count()), (2, 4), "{answers:?}");
    assert_eq!(owner_status, 200);
    assert!(owner_took < delay / 2, "the owner waited {owner_took:?}");
}
