//! Who may do what on the admin API: tenant isolation, no escalation, token checks.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Backend, assert_problem, spawn_app};
use serde_json::{Value, json};

on_both_backends!(
    another_organizations_admin_gets_404_everywhere,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s.app;
        let platform = app.platform_admin().await;
        let org_a = platform.create_org("A").await;
        let org_b = platform.create_org("B").await;
        let (a_id, a_secret) = platform
            .create_client(&org_a, "a-admin", &["org:admin"])
            .await;
        let (b_client, b_secret) = platform.create_client(&org_b, "b-service", &[]).await;
        let a = app.admin_api(&a_id, &a_secret).await;

        let client_path = format!("/organizations/{org_b}/clients/{b_client}");
        let attempts: Vec<(reqwest::Method, String, Option<Value>)> = vec![
            (
                reqwest::Method::GET,
                format!("/organizations/{org_b}/clients"),
                None,
            ),
            (
                reqwest::Method::POST,
                format!("/organizations/{org_b}/clients"),
                Some(json!({"name": "x", "roles": []})),
            ),
            (reqwest::Method::GET, client_path.clone(), None),
            (
                reqwest::Method::PATCH,
                client_path.clone(),
                Some(json!({"name": "pwned"})),
            ),
            (
                reqwest::Method::POST,
                format!("{client_path}/secret"),
                Some(json!({})),
            ),
            (reqwest::Method::DELETE, client_path.clone(), None),
            (
                reqwest::Method::GET,
                format!("/organizations/{org_b}/audit-events"),
                None,
            ),
        ];
        for (method, path, body) in attempts {
            let res = a.send(method.clone(), &path, body.clone()).await;
            assert_problem(&res, 404);
            // The same answer as for an organization that does not exist at all.
            let missing = a
                .send(
                    method,
                    &path.replace(&org_b, "org_doesnotexist000000000"),
                    body,
                )
                .await;
            assert_eq!(missing.body["detail"], res.body["detail"]);
        }

        // Nothing in B changed: its client still works under its old name and secret.
        assert_eq!(
            app.token_basic(&b_client, &b_secret, &[]).await.status(),
            200
        );
        let b = platform.get(&client_path).await;
        assert_eq!(b.body["name"], "b-service");
        let b_list = platform
            .get(&format!("/organizations/{org_b}/clients"))
            .await;
        assert_eq!(b_list.body.as_array().unwrap().len(), 1);

        // A sees only its own clients.
        let own = a.get(&format!("/organizations/{org_a}/clients")).await;
        let ids: Vec<&str> = own
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["client_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [a_id.as_str()]);
    }
);

on_both_backends!(
    escalation_attempts_are_refused_and_change_nothing,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s.app;
        let platform = app.platform_admin().await;
        platform.create_role("billing:read").await;
        let org = platform.create_org("Tenant").await;
        let (admin_id, admin_secret) = platform
            .create_client(&org, "tenant-admin", &["org:admin"])
            .await;
        let (svc_id, svc_secret) = platform.create_client(&org, "svc", &["billing:read"]).await;
        let tenant = app.admin_api(&admin_id, &admin_secret).await;

        let clients = format!("/organizations/{org}/clients");
        let cases: Vec<(reqwest::Method, String, Value, u16)> = vec![
            (
                reqwest::Method::POST,
                clients.clone(),
                json!({"name": "root", "roles": ["platform:admin"]}),
                403,
            ),
            (
                reqwest::Method::PATCH,
                format!("{clients}/{svc_id}"),
                json!({"roles": ["billing:read", "platform:admin"]}),
                403,
            ),
            (
                reqwest::Method::PATCH,
                format!("{clients}/{admin_id}"),
                json!({"roles": ["org:admin", "platform:admin"]}),
                403,
            ),
            // A client cannot widen its own roles, even with catalog roles.
            (
                reqwest::Method::PATCH,
                format!("{clients}/{admin_id}"),
                json!({"roles": ["org:admin", "billing:read"]}),
                403,
            ),
            (
                reqwest::Method::POST,
                clients.clone(),
                json!({"name": "x", "roles": ["superuser"]}),
                422,
            ),
            (
                reqwest::Method::POST,
                "/roles".into(),
                json!({"name": "god:mode", "description": "x"}),
                403,
            ),
            (
                reqwest::Method::POST,
                "/organizations".into(),
                json!({"name": "mine"}),
                403,
            ),
        ];
        for (method, path, body, status) in cases {
            let res = tenant.send(method, &path, Some(body.clone())).await;
            assert_problem(&res, status);
        }
        assert_problem(&tenant.delete("/roles/billing:read").await, 403);
        assert_problem(&tenant.get("/organizations").await, 403);

        // The store is as before.
        let list = platform.get(&clients).await;
        let roles: Vec<(String, Value)> = list
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_owned(), c["roles"].clone()))
            .collect();
        assert_eq!(
            roles,
            [
                ("tenant-admin".into(), json!(["org:admin"])),
                ("svc".into(), json!(["billing:read"]))
            ]
        );
        let catalog = platform.get("/roles").await;
        assert_eq!(catalog.body.as_array().unwrap().len(), 3);
        assert_eq!(
            platform
                .get("/organizations")
                .await
                .body
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // And the tokens say the same.
        let (_, claims) = app
            .verify(
                &app.access_token(&admin_id, &admin_secret).await,
                "http://orgauth.test",
            )
            .await;
        assert_eq!(claims.roles, ["org:admin"]);
        assert_eq!(
            app.token_basic(&svc_id, &svc_secret, &[("scope", "platform:admin")])
                .await
                .status(),
            400
        );

        // What an org admin may do: manage its clients with catalog roles, including org:admin.
        let res = tenant
            .post(
                &clients,
                json!({"name": "deputy", "roles": ["org:admin", "billing:read"]}),
            )
            .await;
        assert_eq!(res.status, 201, "{:?}", res.body);
        // A client without an admin role cannot use the admin API at all.
        let svc = app.admin_api(&svc_id, &svc_secret).await;
        assert_problem(&svc.get(&clients).await, 403);
        assert_problem(&svc.get("/roles").await, 403);
    }
);

on_both_backends!(
    a_deleted_or_demoted_admin_loses_access_at_once,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s.app;
        let platform = app.platform_admin().await;
        let org = app.org_id.clone();
        let (id, secret) = platform
            .create_client(&org, "temp-admin", &["org:admin"])
            .await;
        let temp = app.admin_api(&id, &secret).await;
        assert_eq!(
            temp.get(&format!("/organizations/{org}/clients"))
                .await
                .status,
            200
        );

        // Demoted: the unexpired token no longer carries org:admin's power.
        assert_eq!(
            platform
                .patch(
                    &format!("/organizations/{org}/clients/{id}"),
                    json!({"roles": []})
                )
                .await
                .status,
            200
        );
        assert_problem(
            &temp.get(&format!("/organizations/{org}/clients")).await,
            403,
        );

        // Deleted: 401 with the Bearer challenge.
        assert_eq!(
            platform
                .delete(&format!("/organizations/{org}/clients/{id}"))
                .await
                .status,
            204
        );
        let res = temp.get(&format!("/organizations/{org}/clients")).await;
        assert_problem(&res, 401);
        assert!(
            res.headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
);

on_both_backends!(
    forged_and_malformed_tokens_are_refused,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s.app;
        let real = app.access_token(&app.admin_id, app.admin_secret()).await;
        let parts: Vec<&str> = real.split('.').collect();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());

        // Same claims, signed by a key of our own making (same kid).
        let other = tempfile::tempdir().unwrap();
        orgauth::token::generate_key(other.path(), orgauth::token::SigningAlg::Es256).unwrap();
        let other_keys = std::sync::Arc::new(orgauth::token::KeySet::load(other.path()).unwrap());
        let foreign = orgauth::token::TokenIssuer::new(
            other_keys,
            "http://orgauth.test".into(),
            std::time::Duration::from_secs(60),
        )
        .issue(
            &app.admin_id,
            &app.org_id,
            "http://orgauth.test",
            &["platform:admin".into(), "org:admin".into()],
        );
        let foreign_parts: Vec<&str> = foreign.access_token.split('.').collect();
        let foreign_same_kid = format!("{}.{}.{}", parts[0], foreign_parts[1], foreign_parts[2]);

        // Algorithm confusion: HS256 keyed with our public JWK, and alg "none".
        let mut hs = header.clone();
        hs["alg"] = json!("HS256");
        let jwk = app.jwks().await.keys[0].clone();
        let hs_input = format!("{}.{}", enc(&hs), parts[1]);
        let hs_sig = jsonwebtoken::crypto::sign(
            hs_input.as_bytes(),
            &jsonwebtoken::EncodingKey::from_secret(
                serde_json::to_string(&jwk).unwrap().as_bytes(),
            ),
            jsonwebtoken::Algorithm::HS256,
        )
        .unwrap();
        let mut none = header.clone();
        none["alg"] = json!("none");

        // Tampered claims (widened roles) with the original signature.
        let mut widened = claims.clone();
        widened["org_id"] = json!("org_someoneelse");
        let mut expired = claims.clone();
        expired["exp"] = json!(1);
        let mut wrong_typ = header.clone();
        wrong_typ["typ"] = json!("JWT");

        let bad_tokens = vec![
            foreign.access_token.clone(),
            foreign_same_kid,
            format!("{hs_input}.{hs_sig}"),
            format!("{}.{}.", enc(&none), parts[1]),
            format!("{}.{}.{}", parts[0], enc(&widened), parts[2]),
            format!("{}.{}.{}", parts[0], enc(&expired), parts[2]),
            format!("{}.{}.{}", enc(&wrong_typ), parts[1], parts[2]),
            "not-a-jwt".into(),
            "a.b.c".into(),
        ];
        for token in bad_tokens {
            let res = app
                .http
                .get(app.url("/admin/v1/roles"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401, "token {token}");
            assert_eq!(res.headers()["content-type"], "application/problem+json");
        }
        for header in ["Basic abc", "Bearer", "bearer  "] {
            let res = app
                .http
                .get(app.url("/admin/v1/roles"))
                .header("authorization", header)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401, "{header}");
        }
        // The genuine token works.
        let res = app
            .http
            .get(app.url("/admin/v1/roles"))
            .bearer_auth(&real)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
);
