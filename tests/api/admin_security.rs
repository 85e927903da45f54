//! Who may do what on the admin API: tenant isolation, no escalation, token checks.

use crate::common::{Backend, assert_problem, spawn_app};
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
                reqwest::Method::POST,
                format!("{client_path}/revoke-tokens"),
                None,
            ),
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
        assert!(
            b.body["tokens_not_before"].is_null(),
            "its tokens were not revoked"
        );
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
