//! The admin API under hostile input and concurrent writers: clear errors, never a 500.

use crate::common::{Backend, assert_problem, spawn_app};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

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
