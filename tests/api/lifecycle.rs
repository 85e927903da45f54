//! Token introspection (RFC 7662) and revocation (RFC 7009).

use std::time::Duration;

use crate::common::{Backend, TestApp, spawn_app, spawn_app_with};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

async fn introspect(app: &TestApp, id: &str, secret: &str, token: &str) -> Value {
    let res = app
        .http
        .post(app.url("/oauth/introspect"))
        .basic_auth(id, Some(secret))
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

async fn revoke(app: &TestApp, id: &str, secret: &str, token: &str) -> reqwest::StatusCode {
    app.http
        .post(app.url("/oauth/revoke"))
        .form(&[
            ("client_id", id),
            ("client_secret", secret),
            ("token", token),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

on_both_backends!(
    introspection_reports_a_live_token_with_its_claims,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        admin.create_role("billing:read").await;
        let (id, secret) = admin
            .create_client(&app.org_id, "svc", &["billing:read"])
            .await;
        let token = app.access_token(&id, &secret).await;

        // The resource server authenticates as itself (client_secret_basic here).
        let (rs_id, rs_secret) = admin
            .create_client(&app.org_id, "resource-server", &[])
            .await;
        let body = introspect(app, &rs_id, &rs_secret, &token).await;
        let (_, claims) = app.verify(&token, "http://orgauth.test").await;
        assert_eq!(body["active"], true);
        assert_eq!(body["client_id"], id.as_str());
        assert_eq!(body["sub"], id.as_str());
        assert_eq!(body["scope"], "billing:read");
        assert_eq!(body["roles"], json!(["billing:read"]));
        assert_eq!(body["org_id"], app.org_id.as_str());
        assert_eq!(body["iss"], "http://orgauth.test");
        assert_eq!(body["aud"], "http://orgauth.test");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(
            (
                body["exp"].as_i64(),
                body["iat"].as_i64(),
                body["nbf"].as_i64()
            ),
            (Some(claims.exp), Some(claims.iat), Some(claims.nbf))
        );
        assert_eq!(body["jti"], claims.jti.as_str());

        // Unauthenticated callers are refused; a missing token is invalid_request.
        let res = app
            .http
            .post(app.url("/oauth/introspect"))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let res = app
            .http
            .post(app.url("/oauth/introspect"))
            .basic_auth(&rs_id, Some(&rs_secret))
            .form(&[("x", "y")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "invalid_request"
        );
    }
);

on_both_backends!(
    introspection_says_inactive_for_every_bad_token,
    |backend: Backend| async move {
        let s = spawn_app_with(backend, |c| c.token_ttl = Duration::from_secs(1)).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let (id, secret) = admin.create_client(&app.org_id, "svc", &[]).await;
        let live = app.access_token(&id, &secret).await;
        let parts: Vec<&str> = live.split('.').collect();

        // Signed by a key we do not have, with our kid; by another issuer; tampered; garbage.
        let other = tempfile::tempdir().unwrap();
        orgauth::token::generate_key(other.path(), orgauth::token::SigningAlg::Es256).unwrap();
        let keys = std::sync::Arc::new(orgauth::token::KeySet::load(other.path()).unwrap());
        let foreign = orgauth::token::TokenIssuer::new(
            keys.clone(),
            "http://orgauth.test".into(),
            Duration::from_secs(60),
        )
        .issue(&id, &app.org_id, "http://orgauth.test", &[])
        .access_token;
        let foreign_parts: Vec<&str> = foreign.split('.').collect();
        let other_issuer = orgauth::token::TokenIssuer::new(
            keys,
            "http://evil.test".into(),
            Duration::from_secs(60),
        )
        .issue(&id, &app.org_id, "http://orgauth.test", &[])
        .access_token;
        let mut claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        claims["roles"] = json!(["platform:admin"]);
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            parts[2]
        );
        let mut header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        header["kid"] = json!("unknown-kid");
        let unknown_kid = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            parts[1],
            parts[2]
        );

        let bad = [
            format!("{}.{}.{}", parts[0], parts[1], foreign_parts[2]),
            foreign,
            other_issuer,
            tampered,
            unknown_kid,
            "garbage".to_owned(),
            "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln".to_owned(),
            "a.b.c".to_owned(),
            "....".to_owned(),
        ];
        for token in &bad {
            assert_eq!(
                introspect(app, &id, &secret, token).await,
                json!({"active": false}),
                "{token}"
            );
        }
        assert_eq!(introspect(app, &id, &secret, &live).await["active"], true);

        // Expired.
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(
            introspect(app, &id, &secret, &live).await,
            json!({"active": false})
        );

        // A deleted client's token.
        let (gone, gone_secret) = admin.create_client(&app.org_id, "gone", &[]).await;
        let token = app.access_token(&gone, &gone_secret).await;
        assert_eq!(introspect(app, &id, &secret, &token).await["active"], true);
        admin
            .delete(&format!("/organizations/{}/clients/{gone}", app.org_id))
            .await;
        assert_eq!(
            introspect(app, &id, &secret, &token).await,
            json!({"active": false})
        );
    }
);

on_both_backends!(
    introspection_shows_another_organizations_tokens_to_platform_admins_only,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let other_org = admin.create_org("Other").await;
        let (theirs, their_secret) = admin.create_client(&other_org, "theirs", &[]).await;
        let (ours, our_secret) = admin.create_client(&app.org_id, "ours", &[]).await;
        let token = app.access_token(&theirs, &their_secret).await;
        assert_eq!(
            introspect(app, &ours, &our_secret, &token).await,
            json!({"active": false})
        );
        assert_eq!(
            introspect(app, &app.admin_id, app.admin_secret(), &token).await["active"],
            true
        );
    }
);

on_both_backends!(
    revocation_ends_a_token_and_only_its_owner_can_revoke_it,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let (id, secret) = admin
            .create_client(&app.org_id, "svc", &["org:admin"])
            .await;
        let (other, other_secret) = admin.create_client(&app.org_id, "other", &[]).await;
        let token = app.access_token(&id, &secret).await;

        // Someone else's revocation is answered 200 and does nothing.
        assert_eq!(revoke(app, &other, &other_secret, &token).await, 200);
        assert_eq!(introspect(app, &id, &secret, &token).await["active"], true);
        let as_admin = app.get_bearer("/admin/v1/roles", &token).await;
        assert_eq!(as_admin.status(), 200);

        // Garbage and unknown tokens: 200 too.
        for junk in ["junk", "a.b.c"] {
            assert_eq!(revoke(app, &id, &secret, junk).await, 200);
        }

        // The owner revokes: inactive on introspection, refused by the admin API; twice is fine.
        assert_eq!(revoke(app, &id, &secret, &token).await, 200);
        assert_eq!(revoke(app, &id, &secret, &token).await, 200);
        assert_eq!(
            introspect(app, &id, &secret, &token).await,
            json!({"active": false})
        );
        let as_admin = app.get_bearer("/admin/v1/roles", &token).await;
        assert_eq!(as_admin.status(), 401);
        // A new token of the same client is unaffected.
        let fresh = app.access_token(&id, &secret).await;
        assert_eq!(introspect(app, &id, &secret, &fresh).await["active"], true);

        // Malformed requests are still errors: no token, no credentials.
        let res = app
            .http
            .post(app.url("/oauth/revoke"))
            .basic_auth(&id, Some(&secret))
            .form(&[("token_type_hint", "access_token")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let res = app
            .http
            .post(app.url("/oauth/revoke"))
            .form(&[("token", fresh.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
);

on_both_backends!(
    introspection_answers_for_the_client_as_it_is_now,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        app.add_roles(&["billing:read", "billing:write"]);
        let platform = app.platform_admin().await;
        let org = app.org_id.clone();
        let (svc, svc_secret) = platform
            .create_client(&org, "svc", &["billing:read", "billing:write"])
            .await;
        let (rs, rs_secret) = app.create_client(&[]);
        let token = app.access_token(&svc, &svc_secret).await;

        // A role removed from the client is no longer reported for its old tokens.
        let patched = platform
            .patch(
                &format!("/organizations/{org}/clients/{svc}"),
                json!({"roles": ["billing:read"]}),
            )
            .await;
        assert_eq!(patched.status, 200);
        let answer = introspect(app, &rs, &rs_secret, &token).await;
        assert_eq!(answer["active"], true);
        assert_eq!(answer["roles"], json!(["billing:read"]));
        assert_eq!(answer["scope"], "billing:read");

        // A demoted admin's token no longer claims org:admin.
        let (admin, admin_secret) = platform.create_client(&org, "admin", &["org:admin"]).await;
        let admin_token = app.admin_token(&admin, &admin_secret).await;
        platform
            .patch(
                &format!("/organizations/{org}/clients/{admin}"),
                json!({"roles": []}),
            )
            .await;
        let answer = introspect(app, &rs, &rs_secret, &admin_token).await;
        assert_eq!(answer["roles"], json!([]));
    }
);

on_both_backends!(
    an_admin_can_revoke_every_token_of_a_client,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let platform = app.platform_admin().await;
        let org = app.org_id.clone();
        let (svc, svc_secret) = platform.create_client(&org, "svc", &[]).await;
        let (rs, rs_secret) = app.create_client(&[]);
        let path = format!("/organizations/{org}/clients/{svc}");
        let old = app.access_token(&svc, &svc_secret).await;
        assert_eq!(introspect(app, &rs, &rs_secret, &old).await["active"], true);

        let revoked = platform
            .post(&format!("{path}/revoke-tokens"), json!({}))
            .await;
        assert_eq!(revoked.status, 200, "{:?}", revoked.body);
        assert!(revoked.body["tokens_not_before"].is_string());
        assert_eq!(
            introspect(app, &rs, &rs_secret, &old).await["active"],
            false
        );
        // The secret still works, and a token issued afterwards is active, even at once.
        let fresh = app.access_token(&svc, &svc_secret).await;
        assert_eq!(
            introspect(app, &rs, &rs_secret, &fresh).await["active"],
            true
        );

        // Rotation can do the same: {"revoke_tokens": true}, for a leaked secret, so never
        // together with a grace period (the old secret could go on minting tokens).
        let refused = platform
            .post(
                &format!("{path}/secret"),
                json!({"grace_period_seconds": 600, "revoke_tokens": true}),
            )
            .await;
        crate::common::assert_problem(&refused, 422);
        assert_eq!(refused.body["field"], "revoke_tokens");
        let rotated = platform
            .post(&format!("{path}/secret"), json!({"revoke_tokens": true}))
            .await;
        assert_eq!(rotated.status, 200);
        assert_eq!(
            introspect(app, &rs, &rs_secret, &fresh).await["active"],
            false
        );
        assert_eq!(app.token_basic(&svc, &svc_secret, &[]).await.status(), 401);
        let new_secret = rotated.body["client_secret"].as_str().unwrap();
        let after = app.access_token(&svc, new_secret).await;
        assert_eq!(
            introspect(app, &rs, &rs_secret, &after).await["active"],
            true
        );

        // The admin API honours it too: an admin whose tokens were revoked is refused.
        let (admin, admin_secret) = platform.create_client(&org, "admin", &["org:admin"]).await;
        let tenant = app.admin_api(&admin, &admin_secret).await;
        assert_eq!(tenant.get(&path).await.status, 200);
        let revoked = platform
            .post(
                &format!("/organizations/{org}/clients/{admin}/revoke-tokens"),
                json!({}),
            )
            .await;
        assert_eq!(revoked.status, 200);
        crate::common::assert_problem(&tenant.get(&path).await, 401);
        let again = app.admin_api(&admin, &admin_secret).await;
        assert_eq!(again.get(&path).await.status, 200);

        let events = platform
            .get(&format!("/organizations/{org}/audit-events"))
            .await;
        assert!(
            events
                .body
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "client.tokens_revoked" && e["target"] == admin.as_str())
        );
    }
);
