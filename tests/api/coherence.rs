//! The cached client records and verified secrets never let an old secret through: not on the
//! instance that rotated or deleted (the very next request), and not on another instance
//! sharing the database (within 1 s).

use std::time::{Duration, Instant};

use crate::common::{Backend, TestApp, TestDatabase, spawn_with, test_config};
use serde_json::json;

/// Polls `done` every 10 ms until it holds; returns how long that took (panics after 1 s,
/// saying `what` still was).
async fn within_a_second<F: std::future::Future<Output = bool>>(
    what: &str,
    mut done: impl FnMut() -> F,
) -> Duration {
    let started = Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{what} after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

/// Polls `app` until the secret is refused (it must be accepted until then).
async fn refused_within_a_second(app: &TestApp, id: &str, secret: &str) -> Duration {
    within_a_second("still accepted", || async {
        let status = app.token_basic(id, secret, &[]).await.status();
        assert!(status == 200 || status == 401, "{status}");
        status == 401
    })
    .await
}

on_both_backends!(
    rotation_and_deletion_take_effect_on_every_instance,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let config = test_config(&db, keys.path().to_owned());
        let a = spawn_with(config.clone()).await;
        // A second instance on the same database and keys (SQLite: same file, as on one host).
        let b = spawn_with(config).await;
        assert_ne!(a.base_url, b.base_url);

        let admin = a.platform_admin().await;
        let org = a.org_id.clone();
        let (id, old) = admin.create_client(&org, "svc", &[]).await;
        // Both instances have verified (and cached) the old secret and the client's record.
        for _ in 0..3 {
            assert_eq!(a.token_basic(&id, &old, &[]).await.status(), 200);
            assert_eq!(b.token_basic(&id, &old, &[]).await.status(), 200);
        }

        let rotated = admin
            .post(
                &format!("/organizations/{org}/clients/{id}/secret"),
                json!({}),
            )
            .await;
        let new = rotated.body["client_secret"].as_str().unwrap().to_owned();
        // The very next request on the instance that rotated; within 1 s on the other.
        assert_eq!(a.token_basic(&id, &old, &[]).await.status(), 401);
        assert_eq!(a.token_basic(&id, &new, &[]).await.status(), 200);
        refused_within_a_second(&b, &id, &old).await;
        assert_eq!(b.token_basic(&id, &new, &[]).await.status(), 200);

        // Roles edited on one instance reach tokens issued by the other.
        admin
            .patch(
                &format!("/organizations/{org}/clients/{id}"),
                json!({"roles": ["org:admin"]}),
            )
            .await;
        let started = Instant::now();
        loop {
            let token = b.access_token(&id, &new).await;
            let (_, claims) = b.verify(&token, "http://orgauth.test").await;
            if claims.roles == ["org:admin"] {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "roles still stale after 1 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        assert_eq!(
            admin
                .delete(&format!("/organizations/{org}/clients/{id}"))
                .await
                .status,
            204
        );
        assert_eq!(a.token_basic(&id, &new, &[]).await.status(), 401);
        refused_within_a_second(&b, &id, &new).await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_while_the_watcher_is_down_is_not_missed() {
    if !crate::common::postgres_available() {
        return;
    }
    use diesel::RunQueryDsl;
    let db = TestDatabase::create(Backend::Postgres);
    let keys = tempfile::tempdir().unwrap();
    let config = test_config(&db, keys.path().to_owned());
    let a = spawn_with(config.clone()).await;
    let b = spawn_with(config).await;
    let admin = a.platform_admin().await;
    let org = a.org_id.clone();
    let (id, old) = admin.create_client(&org, "svc", &[]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        assert_eq!(b.token_basic(&id, &old, &[]).await.status(), 200);
    }

    // Cut both instances' watchers, and rotate before they are back.
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let mut conn = a.store();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND application_name = 'orgauth-change-watcher'"
    ))
    .execute(&mut **conn)
    .unwrap();
    drop(conn);
    admin
        .post(
            &format!("/organizations/{org}/clients/{id}/secret"),
            json!({}),
        )
        .await;
    refused_within_a_second(&b, &id, &old).await;
}

/// Whether `token` is active for the resource server `(rs, rs_secret)` asking `app`.
pub(crate) async fn active(app: &TestApp, rs: &str, rs_secret: &str, token: &str) -> bool {
    let res = app
        .http
        .post(app.url("/oauth/introspect"))
        .basic_auth(rs, Some(rs_secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    body["active"].as_bool().unwrap()
}

/// Polls `app` until the token is inactive; panics if it still is after 1 s.
async fn inactive_within_a_second(app: &TestApp, rs: &str, rs_secret: &str, token: &str) {
    within_a_second("still active", || async {
        !active(app, rs, rs_secret, token).await
    })
    .await;
}

on_both_backends!(
    introspection_from_memory_hears_revocations_and_deletions_on_every_instance,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let config = test_config(&db, keys.path().to_owned());
        let a = spawn_with(config.clone()).await;
        let b = spawn_with(config).await;
        let admin = a.platform_admin().await;
        let org = a.org_id.clone();
        let (rs, rs_secret) = admin.create_client(&org, "resource-server", &[]).await;
        let (id, secret) = admin.create_client(&org, "svc", &[]).await;

        // Both instances have answered for the tokens (signature checked, state in memory).
        let revoked = a.access_token(&id, &secret).await;
        let kept = a.access_token(&id, &secret).await;
        for app in [&a, &b] {
            for _ in 0..3 {
                assert!(active(app, &rs, &rs_secret, &revoked).await);
                assert!(active(app, &rs, &rs_secret, &kept).await);
            }
        }

        // Revoked through one instance: inactive there at once, on the other within 1 s, and
        // only that token.
        let res = a
            .http
            .post(a.url("/oauth/revoke"))
            .basic_auth(&id, Some(&secret))
            .form(&[("token", revoked.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(!active(&a, &rs, &rs_secret, &revoked).await);
        inactive_within_a_second(&b, &rs, &rs_secret, &revoked).await;
        assert!(active(&a, &rs, &rs_secret, &kept).await);
        assert!(active(&b, &rs, &rs_secret, &kept).await);

        // A restarted instance loads the revocations it did not hear of.
        let config = b.config.clone();
        b.stop_gracefully().await;
        let c = spawn_with(config).await;
        assert!(!active(&c, &rs, &rs_secret, &revoked).await);
        assert!(active(&c, &rs, &rs_secret, &kept).await);

        // The client deleted through one instance: its tokens die everywhere.
        assert_eq!(
            admin
                .delete(&format!("/organizations/{org}/clients/{id}"))
                .await
                .status,
            204
        );
        assert!(!active(&a, &rs, &rs_secret, &kept).await);
        inactive_within_a_second(&c, &rs, &rs_secret, &kept).await;
    }
);

on_both_backends!(
    a_revocation_written_by_any_release_reaches_introspection_from_memory,
    |backend: Backend| async move {
        use diesel::RunQueryDsl;
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let a = spawn_with(test_config(&db, keys.path().to_owned())).await;
        let admin = a.platform_admin().await;
        let org = a.org_id.clone();
        let (rs, rs_secret) = admin.create_client(&org, "resource-server", &[]).await;
        let (id, secret) = admin.create_client(&org, "svc", &[]).await;
        let token = a.access_token(&id, &secret).await;
        assert!(active(&a, &rs, &rs_secret, &token).await);

        // The row alone, as the previous release writes it (no change record of its own): the
        // database's trigger records the change, and the running instance hears it.
        let (_, claims) = a.verify(&token, "http://orgauth.test").await;
        let mut conn = a.store();
        diesel::sql_query(
            "INSERT INTO revoked_tokens (jti, client_id, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind::<diesel::sql_types::Text, _>(&claims.jti)
        .bind::<diesel::sql_types::Text, _>(&id)
        .bind::<diesel::sql_types::Timestamp, _>(
            chrono::DateTime::from_timestamp(claims.exp, 0)
                .unwrap()
                .naive_utc(),
        )
        .bind::<diesel::sql_types::Timestamp, _>(orgauth::store::now())
        .execute(&mut **conn)
        .unwrap();
        drop(conn);
        inactive_within_a_second(&a, &rs, &rs_secret, &token).await;
    }
);
