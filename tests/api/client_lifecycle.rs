//! A client's life beyond its secret (SPEC §4 fields): a description, its own shorter token
//! lifetime, disabled without being deleted, a secret that expires — and an organization's
//! maximum secret lifetime set by a platform admin.

use std::time::Duration;

use crate::common::{Backend, TestApp, assert_problem, spawn_app};
use serde_json::{Value, json};

async fn token(app: &TestApp, id: &str, secret: &str) -> (u16, Value) {
    let res = app.token_basic(id, secret, &[]).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn introspected_active(app: &TestApp, token: &str) -> bool {
    let res = app
        .http
        .post(app.url("/oauth/introspect"))
        .basic_auth(&app.admin_id, Some(app.admin_secret()))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    body["active"].as_bool().unwrap()
}

fn seconds_from_now(body: &Value, field: &str) -> i64 {
    let at = chrono::DateTime::parse_from_rfc3339(body[field].as_str().unwrap()).unwrap();
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds()
}

on_both_backends!(
    description_lifetime_and_disabling,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let org = admin.create_org("Acme").await;
        let clients = format!("/organizations/{org}/clients");

        let created = admin
            .post(
                &clients,
                json!({"name": "exporter", "roles": [], "description": "Nightly export",
                       "token_ttl_seconds": 600, "token_endpoint_auth_method": "client_secret_basic"}),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        assert_eq!(created.body["description"], "Nightly export");
        assert_eq!(created.body["token_ttl_seconds"], 600);
        assert_eq!(created.body["disabled"], false);
        assert_eq!(
            created.body["token_endpoint_auth_method"],
            "client_secret_basic"
        );
        assert_eq!(created.body["client_secret_expires_at"], Value::Null);
        let id = created.body["client_id"].as_str().unwrap().to_owned();
        let secret = created.body["client_secret"].as_str().unwrap().to_owned();
        let client = format!("{clients}/{id}");

        // Its own, shorter lifetime.
        let (status, body) = token(app, &id, &secret).await;
        assert_eq!((status, body["expires_in"].clone()), (200, json!(600)));
        let issued = body["access_token"].as_str().unwrap().to_owned();
        let (_, claims) = app.verify(&issued, &app.config.issuer).await;
        assert_eq!(claims.exp - claims.iat, 600);

        // Never longer than the server's, never under a minute; null returns to the server's.
        for ttl in [json!(3601), json!(59), json!("600")] {
            let res = admin
                .patch(&client, json!({"token_ttl_seconds": ttl}))
                .await;
            assert!(matches!(res.status, 400 | 422), "{ttl}: {:?}", res.body);
            assert_problem(&res, res.status);
        }
        let reset = admin
            .patch(&client, json!({"token_ttl_seconds": null}))
            .await;
        assert_eq!(reset.body["token_ttl_seconds"], Value::Null);
        assert_eq!(token(app, &id, &secret).await.1["expires_in"], 3600);

        // Disabled: the right secret is refused (and told why), a wrong one learns nothing, the
        // tokens already issued are inactive; enabled again, all of it works again.
        let disabled = admin.patch(&client, json!({"disabled": true})).await;
        assert_eq!(
            (disabled.status, disabled.body["disabled"].clone()),
            (200, json!(true))
        );
        let (status, body) = token(app, &id, &secret).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"], "invalid_client");
        assert_eq!(body["error_description"], "the client is disabled");
        let wrong = orgauth::domain::NewClientSecret::generate();
        let (status, body) = token(app, &id, wrong.secret().expose()).await;
        assert_eq!(status, 401);
        assert_eq!(body["error_description"], "client authentication failed");
        assert!(!introspected_active(app, &issued).await);

        // Enabled again: new tokens work; those issued before the client was disabled stay
        // refused (disabling after a leak must not be undone by enabling after the fix).
        let enabled = admin.patch(&client, json!({"disabled": false})).await;
        assert_eq!(enabled.body["disabled"], false);
        tokio::time::sleep(Duration::from_millis(2100)).await; // past the cut-off margin
        let (status, body) = token(app, &id, &secret).await;
        assert_eq!(status, 200);
        assert!(introspected_active(app, body["access_token"].as_str().unwrap()).await);
        assert!(!introspected_active(app, &issued).await);

        let events = admin
            .get(&format!("/organizations/{org}/audit-events?target={id}"))
            .await;
        let actions: Vec<&str> = events
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "client.enabled",
                "client.disabled",
                "client.updated",
                "client.created"
            ]
        );

        // A key set on plain http (off loopback) is refused, naming the field.
        let res = admin
            .post(
                &clients,
                json!({"name": "k", "roles": [], "jwks_uri": "http://example.com/jwks"}),
            )
            .await;
        assert_problem(&res, 422);
        assert_eq!(res.body["field"], "jwks_uri");
    }
);

on_both_backends!(
    a_disabled_admin_loses_the_admin_api_at_once,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let org = admin.create_org("Acme").await;
        let (id, secret) = admin.create_client(&org, "ops", &["org:admin"]).await;
        let ops = app.admin_api(&id, &secret).await;
        assert_eq!(
            ops.get(&format!("/organizations/{org}/clients"))
                .await
                .status,
            200
        );
        let res = admin
            .patch(
                &format!("/organizations/{org}/clients/{id}"),
                json!({"disabled": true}),
            )
            .await;
        assert_eq!(res.status, 200);
        assert_eq!(
            ops.get(&format!("/organizations/{org}/clients"))
                .await
                .status,
            401
        );
    }
);

on_both_backends!(
    secrets_expire_within_the_organization_maximum,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let org = admin.create_org("Acme").await;
        let clients = format!("/organizations/{org}/clients");

        // A secret that expires: it works until then, and is refused (saying why) after.
        let soon = (chrono::Utc::now() + chrono::TimeDelta::milliseconds(1500)).to_rfc3339();
        let created = admin
            .post(
                &clients,
                json!({"name": "short", "roles": [], "client_secret_expires_at": soon}),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let id = created.body["client_id"].as_str().unwrap().to_owned();
        let secret = created.body["client_secret"].as_str().unwrap().to_owned();
        assert_eq!(token(app, &id, &secret).await.0, 200);
        tokio::time::sleep(Duration::from_millis(1600)).await;
        let (status, body) = token(app, &id, &secret).await;
        assert_eq!(status, 401);
        assert_eq!(body["error_description"], "the client secret has expired");
        // A rotation gives a new secret (here without expiry) that works.
        let rotated = admin
            .post(&format!("{clients}/{id}/secret"), json!({}))
            .await;
        assert_eq!(rotated.body["client_secret_expires_at"], Value::Null);
        let new_secret = rotated.body["client_secret"].as_str().unwrap();
        assert_eq!(token(app, &id, new_secret).await.0, 200);
        let past = admin
        .post(&clients, json!({"name": "x", "roles": [], "client_secret_expires_at": "2020-01-01T00:00:00Z"}))
        .await;
        assert_problem(&past, 422);
        assert_eq!(past.body["field"], "client_secret_expires_at");

        // The organization's maximum: only a platform admin sets it; new and rotated secrets
        // default to it and may not go past it.
        let (org_admin_id, org_admin_secret) =
            admin.create_client(&org, "ops", &["org:admin"]).await;
        let org_admin = app.admin_api(&org_admin_id, &org_admin_secret).await;
        let refused = org_admin
            .patch(
                &format!("/organizations/{org}"),
                json!({"max_secret_lifetime_seconds": 86400}),
            )
            .await;
        assert_problem(&refused, 403);
        let set = admin
            .patch(
                &format!("/organizations/{org}"),
                json!({"max_secret_lifetime_seconds": 86400}),
            )
            .await;
        assert_eq!(
            (set.status, set.body["max_secret_lifetime_seconds"].clone()),
            (200, json!(86400))
        );
        assert_problem(
            &admin
                .patch(
                    &format!("/organizations/{org}"),
                    json!({"max_secret_lifetime_seconds": 60}),
                )
                .await,
            422,
        );

        let capped = org_admin
            .post(&clients, json!({"name": "capped", "roles": []}))
            .await;
        assert_eq!(capped.status, 201);
        assert!(
            (86_390..=86_400).contains(&seconds_from_now(&capped.body, "client_secret_expires_at"))
        );
        let capped_id = capped.body["client_id"].as_str().unwrap();
        let too_long = (chrono::Utc::now() + chrono::TimeDelta::days(2)).to_rfc3339();
        let res = org_admin
            .post(
                &format!("{clients}/{capped_id}/secret"),
                json!({"client_secret_expires_at": too_long}),
            )
            .await;
        assert_problem(&res, 422);
        let rotated = org_admin
            .post(
                &format!("{clients}/{capped_id}/secret"),
                json!({"grace_period_seconds": 60}),
            )
            .await;
        assert!(
            (86_390..=86_400)
                .contains(&seconds_from_now(&rotated.body, "client_secret_expires_at"))
        );
        assert!((50..=60).contains(&seconds_from_now(
            &rotated.body,
            "previous_secret_expires_at"
        )));

        // Cleared by a platform admin: no default expiry again.
        let cleared = admin
            .patch(
                &format!("/organizations/{org}"),
                json!({"max_secret_lifetime_seconds": null}),
            )
            .await;
        assert_eq!(cleared.body["max_secret_lifetime_seconds"], Value::Null);
        let free = org_admin
            .post(&clients, json!({"name": "free", "roles": []}))
            .await;
        assert_eq!(free.body["client_secret_expires_at"], Value::Null);
    }
);
