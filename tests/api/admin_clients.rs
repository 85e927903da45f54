//! The admin API's client lifecycle, as an organization administrator lives it.

use std::time::Duration;

use crate::common::{Backend, assert_problem, spawn_app};
use serde_json::{Value, json};

fn roles_of(body: &Value) -> Vec<String> {
    body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

on_both_backends!(the_whole_client_story, |backend: Backend| async move {
    let s = spawn_app(backend).await;
    let app = &s;
    let admin = app.platform_admin().await;
    let org = app.org_id.clone();
    admin.create_role("billing:read").await;
    admin.create_role("billing:write").await;

    // Create: 201, the secret once, a hint that matches it.
    let res = admin
        .post(
            &format!("/organizations/{org}/clients"),
            json!({"name": "billing-sync", "roles": ["billing:read"]}),
        )
        .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    assert_eq!(
        res.headers["location"],
        format!(
            "/admin/v1/organizations/{org}/clients/{}",
            res.body["client_id"].as_str().unwrap()
        )
    );
    let id = res.body["client_id"].as_str().unwrap().to_owned();
    let secret = res.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(res.body["secret_hint"], &secret[49..]);
    assert_eq!(res.body["name"], "billing-sync");
    assert!(res.body["created_at"].is_string() && res.body["last_used_at"].is_null());
    let mut secrets = vec![secret.clone()];
    let mut creating_bodies = vec![admin.seen.lock().unwrap().len() - 1];

    // The secret works.
    let token = app.access_token(&id, &secret).await;
    let (_, claims) = app.verify(&token, "http://orgauth.test").await;
    assert_eq!(claims.roles, ["billing:read"]);

    // List and get show the hint, never the secret; last_used_at appears after the flush.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let list = admin.get(&format!("/organizations/{org}/clients")).await;
    assert_eq!(list.status, 200);
    let listed = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(listed["secret_hint"], &secret[49..]);
    assert!(listed.get("client_secret").is_none());
    assert!(
        listed["last_used_at"].is_string(),
        "last_used_at is recorded: {listed}"
    );
    let got = admin
        .get(&format!("/organizations/{org}/clients/{id}"))
        .await;
    assert_eq!(got.status, 200);
    assert!(got.body.get("client_secret").is_none());

    // PATCH roles: replaced; a new token carries the new roles.
    let res = admin
        .patch(
            &format!("/organizations/{org}/clients/{id}"),
            json!({"roles": ["billing:write"]}),
        )
        .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!(roles_of(&res.body), ["billing:write"]);
    let (_, claims) = app
        .verify(&app.access_token(&id, &secret).await, "http://orgauth.test")
        .await;
    assert_eq!(claims.roles, ["billing:write"]);
    let res = admin
        .patch(
            &format!("/organizations/{org}/clients/{id}"),
            json!({"name": "  billing-sync-v2 "}),
        )
        .await;
    assert_eq!(
        (res.status, res.body["name"].as_str()),
        (200, Some("billing-sync-v2"))
    );
    assert_eq!(
        roles_of(&res.body),
        ["billing:write"],
        "renaming keeps the roles"
    );

    // Rotate without grace: the old secret fails at once, the new one works.
    let res = admin
        .post(
            &format!("/organizations/{org}/clients/{id}/secret"),
            json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    creating_bodies.push(admin.seen.lock().unwrap().len() - 1);
    let rotated = res.body["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(rotated, secret);
    assert_eq!(res.body["secret_hint"], &rotated[49..]);
    assert!(res.body["secret_rotated_at"].is_string());
    assert_eq!(app.token_basic(&id, &secret, &[]).await.status(), 401);
    assert_eq!(app.token_basic(&id, &rotated, &[]).await.status(), 200);
    secrets.push(rotated.clone());

    // Rotate with a grace period: both work, then the old one stops.
    let res = admin
        .post(
            &format!("/organizations/{org}/clients/{id}/secret"),
            json!({"grace_period_seconds": 2}),
        )
        .await;
    assert_eq!(res.status, 200);
    creating_bodies.push(admin.seen.lock().unwrap().len() - 1);
    let newest = res.body["client_secret"].as_str().unwrap().to_owned();
    secrets.push(newest.clone());
    assert_eq!(
        app.token_basic(&id, &rotated, &[]).await.status(),
        200,
        "old secret works during grace"
    );
    assert_eq!(app.token_basic(&id, &newest, &[]).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(2300)).await;
    assert_eq!(
        app.token_basic(&id, &rotated, &[]).await.status(),
        401,
        "old secret stops after grace"
    );
    assert_eq!(app.token_basic(&id, &newest, &[]).await.status(), 200);

    // A rotation without a body is allowed too.
    let res = admin
        .send(
            reqwest::Method::POST,
            &format!("/organizations/{org}/clients/{id}/secret"),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    creating_bodies.push(admin.seen.lock().unwrap().len() - 1);
    let last = res.body["client_secret"].as_str().unwrap().to_owned();
    secrets.push(last.clone());
    assert_eq!(app.token_basic(&id, &newest, &[]).await.status(), 401);

    // Delete: 204, and the secret stops working.
    let res = admin
        .delete(&format!("/organizations/{org}/clients/{id}"))
        .await;
    assert_eq!(res.status, 204);
    assert_eq!(app.token_basic(&id, &last, &[]).await.status(), 401);
    assert_problem(
        &admin
            .get(&format!("/organizations/{org}/clients/{id}"))
            .await,
        404,
    );
    assert_problem(
        &admin
            .delete(&format!("/organizations/{org}/clients/{id}"))
            .await,
        404,
    );

    // No response ever carried a secret except the one that created it.
    let seen = admin.seen.lock().unwrap();
    for (i, body) in seen.iter().enumerate() {
        for secret in &secrets {
            if body.contains(secret.as_str()) {
                assert!(
                    creating_bodies.contains(&i),
                    "secret returned again in response {i}: {body}"
                );
            }
        }
    }
});

on_both_backends!(
    a_grace_period_ends_with_the_next_rotation,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let org = app.org_id.clone();
        let (id, first) = admin.create_client(&org, "svc", &["org:admin"]).await;
        let path = format!("/organizations/{org}/clients/{id}/secret");
        let second = admin
            .post(&path, json!({"grace_period_seconds": 3600}))
            .await
            .body["client_secret"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(app.token_basic(&id, &first, &[]).await.status(), 200);
        let third = admin.post(&path, json!({})).await.body["client_secret"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            app.token_basic(&id, &first, &[]).await.status(),
            401,
            "the first grace ended"
        );
        assert_eq!(app.token_basic(&id, &second, &[]).await.status(), 401);
        assert_eq!(app.token_basic(&id, &third, &[]).await.status(), 200);

        for bad in [
            json!({"grace_period_seconds": 604801}),
            json!({"grace_period_seconds": -1}),
            json!({"grace_period_seconds": "1h"}),
        ] {
            let res = admin.post(&path, bad.clone()).await;
            assert_problem(&res, 422);
            assert_eq!(res.body["field"], "grace_period_seconds", "{bad}");
        }
        assert_eq!(
            app.token_basic(&id, &third, &[]).await.status(),
            200,
            "a refused rotation changes nothing"
        );
    }
);

on_both_backends!(
    pagination_returns_every_client_exactly_once,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let org = admin.create_org("Paged").await;
        let mut created = Vec::new();
        for i in 0..25 {
            created.push(
                admin
                    .create_client(&org, &format!("client-{i:02}"), &[])
                    .await
                    .0,
            );
        }

        let collect = |delete_after_first_page: Option<String>| {
            let admin = &admin;
            let org = org.clone();
            async move {
                let mut seen = Vec::new();
                let mut cursor: Option<String> = None;
                let mut pages = 0;
                loop {
                    let path = match &cursor {
                        Some(c) => format!("/organizations/{org}/clients?limit=10&cursor={c}"),
                        None => format!("/organizations/{org}/clients?limit=10"),
                    };
                    let res = admin.get(&path).await;
                    assert_eq!(res.status, 200, "{:?}", res.body);
                    let items = res.body.as_array().unwrap();
                    assert!(items.len() <= 10);
                    seen.extend(
                        items
                            .iter()
                            .map(|c| c["client_id"].as_str().unwrap().to_owned()),
                    );
                    pages += 1;
                    if pages == 1
                        && let Some(id) = &delete_after_first_page
                    {
                        assert_eq!(
                            admin
                                .delete(&format!("/organizations/{org}/clients/{id}"))
                                .await
                                .status,
                            204
                        );
                    }
                    match res.headers.get("x-next-cursor") {
                        Some(c) => {
                            assert!(
                                res.headers["link"]
                                    .to_str()
                                    .unwrap()
                                    .contains("rel=\"next\"")
                            );
                            cursor = Some(c.to_str().unwrap().to_owned());
                        }
                        None => break,
                    }
                }
                (seen, pages)
            }
        };

        let (seen, pages) = collect(None).await;
        assert_eq!(pages, 3);
        assert_eq!(seen, created, "every client exactly once, oldest first");

        // Delete one from a later page while paging: the others still come exactly once.
        let victim = created[15].clone();
        let (seen, _) = collect(Some(victim.clone())).await;
        let expected: Vec<String> = created.iter().filter(|c| **c != victim).cloned().collect();
        assert_eq!(seen, expected);

        // An empty organization lists as an empty array.
        let empty = admin.create_org("Empty").await;
        let res = admin.get(&format!("/organizations/{empty}/clients")).await;
        assert_eq!((res.status, res.body.clone()), (200, json!([])));

        for bad in ["limit=0", "limit=201", "limit=ten", "cursor=garbage!"] {
            let res = admin
                .get(&format!("/organizations/{org}/clients?{bad}"))
                .await;
            assert_problem(&res, 400);
        }
    }
);

on_both_backends!(
    audit_events_record_each_mutation_and_its_actor,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let org = admin.create_org("Audited").await;
        let (org_admin_id, org_admin_secret) =
            admin.create_client(&org, "org admin", &["org:admin"]).await;
        let org_admin = app.admin_api(&org_admin_id, &org_admin_secret).await;

        let (id, _) = org_admin.create_client(&org, "svc", &[]).await;
        org_admin
            .patch(
                &format!("/organizations/{org}/clients/{id}"),
                json!({"roles": ["org:admin"]}),
            )
            .await;
        org_admin
            .post(
                &format!("/organizations/{org}/clients/{id}/secret"),
                json!({"grace_period_seconds": 60}),
            )
            .await;
        org_admin
            .delete(&format!("/organizations/{org}/clients/{id}"))
            .await;

        let res = org_admin
            .get(&format!("/organizations/{org}/audit-events"))
            .await;
        assert_eq!(res.status, 200);
        let events = res.body.as_array().unwrap();
        let summary: Vec<(&str, &str, &str)> = events
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap(),
                    e["actor_client_id"].as_str().unwrap(),
                    e["target"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("client.deleted", org_admin_id.as_str(), id.as_str()),
                ("client.secret_rotated", org_admin_id.as_str(), id.as_str()),
                ("client.updated", org_admin_id.as_str(), id.as_str()),
                ("client.created", org_admin_id.as_str(), id.as_str()),
                (
                    "client.created",
                    app.admin_id.as_str(),
                    org_admin_id.as_str()
                ),
                ("organization.created", app.admin_id.as_str(), org.as_str()),
            ],
            "newest first"
        );
        assert_eq!(events[1]["details"]["grace_period_seconds"], 60);
        assert_eq!(events[2]["details"]["roles"], json!(["org:admin"]));
        assert!(
            !res.body.to_string().contains("oas_"),
            "no secret in the audit log"
        );

        // Paginated like the clients list.
        let first = org_admin
            .get(&format!("/organizations/{org}/audit-events?limit=4"))
            .await;
        assert_eq!(first.body.as_array().unwrap().len(), 4);
        let cursor = first.headers["x-next-cursor"].to_str().unwrap().to_owned();
        let rest = org_admin
            .get(&format!(
                "/organizations/{org}/audit-events?limit=4&cursor={cursor}"
            ))
            .await;
        assert_eq!(rest.body.as_array().unwrap().len(), 2);
        assert!(rest.headers.get("x-next-cursor").is_none());

        // Role events are recorded under the platform admin's organization.
        admin.create_role("reports:read").await;
        let res = admin.delete("/roles/reports:read").await;
        assert_eq!(res.status, 204);
        let own = admin
            .get(&format!(
                "/organizations/{}/audit-events?limit=2",
                app.org_id
            ))
            .await;
        let actions: Vec<&str> = own
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["role.deleted", "role.created"]);
    }
);

on_both_backends!(
    last_used_at_shows_a_first_use_within_seconds_then_coalesces_until_shutdown,
    |backend: Backend| async move {
        let db = crate::common::TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let mut config = crate::common::test_config(&db, keys.path().to_owned());
        config.last_used_flush = Duration::from_secs(3600);
        let app = crate::common::spawn_with(config.clone()).await;
        let (id, secret) = (app.admin_id.clone(), app.admin_secret().to_owned());
        let path = format!("/organizations/{}/clients/{id}", app.org_id);
        let admin = app.admin_api(&id, &secret).await;

        // The first use on this instance is written within 5 s, not after the hour.
        let started = std::time::Instant::now();
        let first = loop {
            let client = admin.get(&path).await;
            if let Some(at) = client.body["last_used_at"].as_str() {
                break at.to_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "first use not written within 5 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };

        // Later uses are coalesced: nothing is written until the interval (or shutdown).
        tokio::time::sleep(Duration::from_millis(1100)).await;
        for _ in 0..5 {
            app.access_token(&id, &secret).await;
        }
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(admin.get(&path).await.body["last_used_at"], first.as_str());
        drop(admin);
        app.stop_gracefully().await;

        let app = crate::common::spawn_with(config).await;
        let admin = app.admin_api(&id, &secret).await;
        let after = admin.get(&path).await;
        let after = after.body["last_used_at"].as_str().unwrap().to_owned();
        assert!(after > first, "flushed on shutdown: {after} after {first}");
    }
);
