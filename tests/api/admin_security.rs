//! Who may do what on the admin API: tenant isolation, no escalation, token checks.

use crate::common::{Backend, assert_problem, spawn_app};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

on_both_backends!(
    another_organizations_admin_gets_404_everywhere,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
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
        let app = &s;
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
        let app = &s;
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
        let app = &s;
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
            let res = app.get_bearer("/admin/v1/roles", &token).await;
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
        let res = app.get_bearer("/admin/v1/roles", &real).await;
        assert_eq!(res.status(), 200);
    }
);

/// The fields an attacker would want to change.
fn fingerprint(client: &Value) -> Value {
    json!([
        client["name"],
        client["roles"],
        client["secret_hint"],
        client["secret_rotated_at"],
        client["updated_at"],
        client["tokens_not_before"],
    ])
}

on_both_backends!(
    an_org_admin_cannot_take_over_a_platform_admin_of_its_own_organization,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let platform = app.platform_admin().await;
        let org = app.org_id.clone();
        let (oa_id, oa_secret) = platform
            .create_client(&org, "org-admin", &["org:admin"])
            .await;
        let org_admin = app.admin_api(&oa_id, &oa_secret).await;
        let victim = format!("/organizations/{org}/clients/{}", app.admin_id);

        // It still sees the platform admin in its organization.
        let list = org_admin
            .get(&format!("/organizations/{org}/clients"))
            .await;
        assert_eq!(list.status, 200);
        assert!(
            list.body
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["client_id"] == app.admin_id.as_str())
        );
        let before = org_admin.get(&victim).await;
        assert_eq!(before.status, 200);

        let attempts: Vec<(reqwest::Method, String, Option<Value>)> = vec![
            (
                reqwest::Method::POST,
                format!("{victim}/secret"),
                Some(json!({})),
            ),
            (
                reqwest::Method::POST,
                format!("{victim}/secret"),
                Some(json!({"grace_period_seconds": 3600})),
            ),
            (
                reqwest::Method::PATCH,
                victim.clone(),
                Some(json!({"name": "pwned"})),
            ),
            (
                reqwest::Method::PATCH,
                victim.clone(),
                Some(json!({"roles": ["org:admin"]})),
            ),
            (reqwest::Method::DELETE, victim.clone(), None),
            (
                reqwest::Method::POST,
                format!("{victim}/revoke-tokens"),
                None,
            ),
        ];
        for (method, path, body) in attempts {
            let res = org_admin.send(method.clone(), &path, body).await;
            assert_problem(&res, 403);
            assert!(
                !res.body.to_string().contains("oas_"),
                "{method} {path}: a secret in the answer"
            );
        }

        // Nothing changed, and the victim's secret still works.
        let after = platform.get(&victim).await;
        assert_eq!(fingerprint(&after.body), fingerprint(&before.body));
        assert_eq!(
            app.token_basic(&app.admin_id, app.admin_secret(), &[])
                .await
                .status(),
            200
        );

        // The rule is "could it have granted every role": an org admin peer is fair game.
        let (peer, _) = platform
            .create_client(&org, "peer-admin", &["org:admin"])
            .await;
        let rotated = org_admin
            .post(
                &format!("/organizations/{org}/clients/{peer}/secret"),
                json!({}),
            )
            .await;
        assert_eq!(rotated.status, 200, "{:?}", rotated.body);
        // And widening a client of its organization to any catalog role but platform:admin is
        // what org:admin means: the grant rule is the boundary, not "not yourself".
        platform.create_role("billing:read").await;
        let widened = org_admin
            .patch(
                &format!("/organizations/{org}/clients/{oa_id}"),
                json!({"roles": ["org:admin", "billing:read"]}),
            )
            .await;
        assert_eq!(widened.status, 200, "{:?}", widened.body);
    }
);

on_both_backends!(
    the_admin_api_accepts_only_tokens_issued_for_it,
    |backend: Backend| async move {
        let s = crate::common::spawn_app_with(backend, |c| {
            c.audiences = vec![
                "https://payments.example.com".into(),
                "https://reports.example.com".into(),
            ];
        })
        .await;
        let app = &s;
        let (id, secret) = (app.admin_id.as_str(), app.admin_secret());
        let roles = |token: String| async move {
            app.get_bearer("/admin/v1/roles", &token)
                .await
                .status()
                .as_u16()
        };
        let token_with = |extra: Vec<(&'static str, String)>| async move {
            let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app.token_basic(id, secret, &extra).await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (status, body)
        };

        // The default audience stays the first configured one, and does not open the API.
        let (status, default) = token_with(vec![]).await;
        assert_eq!(status, 200);
        let token = default["access_token"].as_str().unwrap().to_owned();
        let (_, claims) = app.verify(&token, "https://payments.example.com").await;
        assert_eq!(claims.aud, "https://payments.example.com");
        assert_eq!(roles(token).await, 401);
        let (_, reports) =
            token_with(vec![("resource", "https://reports.example.com".into())]).await;
        assert_eq!(
            roles(reports["access_token"].as_str().unwrap().into()).await,
            401
        );

        // The issuer is always an allowed audience, by `audience` or `resource`.
        let issuer = app.config.issuer.clone();
        for param in ["audience", "resource"] {
            let (status, body) = token_with(vec![(param, issuer.clone())]).await;
            assert_eq!(status, 200, "{param}: {body}");
            assert_eq!(
                roles(body["access_token"].as_str().unwrap().into()).await,
                200
            );
        }
        // Anything else is still invalid_target.
        let (status, body) =
            token_with(vec![("audience", "https://evil.example.com".into())]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_target"))
        );
    }
);

on_both_backends!(
    hostile_values_get_clear_errors_never_500,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let platform = app.platform_admin().await;
        let org = app.org_id.clone();
        let (svc, _) = platform.create_client(&org, "svc", &[]).await;

        for path in [
            "/organizations/%00/clients".to_owned(),
            format!("/organizations/{org}/clients/%00"),
            format!("/organizations/{org}/clients/a%00b/secret"),
            "/organizations/%00/audit-events".to_owned(),
        ] {
            assert_problem(&platform.get(&path).await, 404);
        }
        assert_problem(
            &platform
                .post(
                    &format!("/organizations/{org}/clients/%00/secret"),
                    json!({}),
                )
                .await,
            404,
        );
        assert_problem(&platform.delete("/roles/%00").await, 404);
        assert_problem(
            &platform
                .delete(&format!("/organizations/{org}/clients/x%00"))
                .await,
            404,
        );

        let cases: Vec<(reqwest::Method, String, Value)> = vec![
            (
                reqwest::Method::POST,
                "/roles".into(),
                json!({"name": "r:nul", "description": "a\u{0}b"}),
            ),
            (
                reqwest::Method::POST,
                "/roles".into(),
                json!({"name": "r:bidi", "description": "safe\u{202E}txt.exe"}),
            ),
            (
                reqwest::Method::POST,
                format!("/organizations/{org}/clients"),
                json!({"name": "ad\u{200B}min", "roles": []}),
            ),
            (
                reqwest::Method::POST,
                format!("/organizations/{org}/clients"),
                json!({"name": "x\u{0}", "roles": []}),
            ),
            (
                reqwest::Method::PATCH,
                format!("/organizations/{org}/clients/{svc}"),
                json!({"name": "\u{2066}platform admin\u{2069}"}),
            ),
            (
                reqwest::Method::POST,
                "/organizations".into(),
                json!({"name": "Acme\u{FEFF}"}),
            ),
            (
                reqwest::Method::POST,
                format!("/organizations/{org}/clients"),
                json!({"name": "many", "roles": (0..51).map(|i| format!("r{i}")).collect::<Vec<_>>()}),
            ),
        ];
        for (method, path, body) in cases {
            let res = platform
                .send(method.clone(), &path, Some(body.clone()))
                .await;
            assert_problem(&res, 422);
            assert!(
                res.body["field"].is_string(),
                "{method} {path} {body}: {:?}",
                res.body
            );
        }

        // Forged cursors: out-of-range timestamps, NUL in the ID, garbage.
        let forge = |raw: &str| URL_SAFE_NO_PAD.encode(raw);
        for cursor in [
            forge("-9223372036854775808.x"),
            forge("-62135596800000000.evt_x"),
            forge("253402300800000000.evt_x"),
            forge("1700000000000000.a\u{0}b"),
            "%00".into(),
        ] {
            for list in ["clients", "audit-events"] {
                let res = platform
                    .get(&format!("/organizations/{org}/{list}?cursor={cursor}"))
                    .await;
                assert_problem(&res, 400);
            }
        }
    }
);

on_both_backends!(
    concurrent_admin_writes_conflict_cleanly,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let platform = app.platform_admin().await;
        let org = app.org_id.clone();
        let role = |name: &str| json!({"name": name, "description": "race"});

        // The same role created eight times at once: one 201, the rest 409.
        let creates = (0..8).map(|_| platform.post("/roles", role("race:same")));
        let statuses: Vec<u16> = futures_util::future::join_all(creates)
            .await
            .iter()
            .map(|r| r.status)
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| [201, 409].contains(s)),
            "{statuses:?}"
        );

        let (svc, _) = platform.create_client(&org, "svc", &[]).await;
        let client = format!("/organizations/{org}/clients/{svc}");
        for i in 0..6 {
            // A role deleted while it is being assigned.
            let name = format!("race:r{i}");
            platform.create_role(&name).await;
            let role_path = format!("/roles/{name}");
            let (deleted, assigned) = tokio::join!(
                platform.delete(&role_path),
                platform.patch(&client, json!({"roles": [name]})),
            );
            assert!([204, 409].contains(&deleted.status), "{deleted:?}");
            assert!([200, 409, 422].contains(&assigned.status), "{assigned:?}");
            platform.patch(&client, json!({"roles": []})).await;
        }
        for i in 0..6 {
            // A client deleted while it is being patched.
            let (victim, _) = platform
                .create_client(&org, &format!("victim-{i}"), &[])
                .await;
            let path = format!("/organizations/{org}/clients/{victim}");
            let (deleted, patched) = tokio::join!(
                platform.delete(&path),
                platform.patch(&path, json!({"name": "renamed", "roles": ["race:same"]})),
            );
            assert_eq!(deleted.status, 204, "{deleted:?}");
            assert!([200, 404, 409].contains(&patched.status), "{patched:?}");
            assert_problem(&platform.get(&path).await, 404);
        }
    }
);
