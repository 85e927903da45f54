//! The admin API's contract: roles, organizations, problem+json errors, atomicity, OpenAPI.

use crate::common::{Backend, assert_problem, spawn_app};
use diesel::RunQueryDsl;
use serde_json::{Value, json};

on_both_backends!(
    role_catalog_create_list_delete,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;

        let res = admin
            .post(
                "/roles",
                json!({"name": "billing:read", "description": "Read invoices"}),
            )
            .await;
        assert_eq!(
            (res.status, res.body.clone()),
            (
                201,
                json!({"name": "billing:read", "description": "Read invoices"})
            )
        );
        assert_problem(
            &admin
                .post(
                    "/roles",
                    json!({"name": "billing:read", "description": "again"}),
                )
                .await,
            409,
        );
        let res = admin
            .post("/roles", json!({"name": "has space", "description": ""}))
            .await;
        assert_problem(&res, 422);
        assert_eq!(res.body["field"], "name");

        let roles = admin.get("/roles").await;
        assert_eq!(
            roles
                .body
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["billing:read", "org:admin", "platform:admin"]
        );

        // Held: 409, and the role stays. Released: 204.
        let (id, _) = admin
            .create_client(&app.org_id, "svc", &["billing:read"])
            .await;
        assert_problem(&admin.delete("/roles/billing:read").await, 409);
        assert_eq!(admin.get("/roles").await.body.as_array().unwrap().len(), 3);
        admin
            .patch(
                &format!("/organizations/{}/clients/{id}", app.org_id),
                json!({"roles": []}),
            )
            .await;
        assert_eq!(admin.delete("/roles/billing:read").await.status, 204);
        assert_problem(&admin.delete("/roles/billing:read").await, 404);
        // Built-in roles cannot go.
        assert_problem(&admin.delete("/roles/platform:admin").await, 409);
        assert_problem(&admin.delete("/roles/org:admin").await, 409);
    }
);

on_both_backends!(
    organizations_create_and_list,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let res = admin
            .post("/organizations", json!({"name": "  Acme Payments  "}))
            .await;
        assert_eq!(res.status, 201);
        assert_eq!(res.body["name"], "Acme Payments");
        assert!(res.body["id"].as_str().unwrap().starts_with("org_"));
        assert!(res.body["created_at"].as_str().unwrap().ends_with('Z'));
        let list = admin.get("/organizations").await;
        let names: Vec<&str> = list
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Bootstrap organization", "Acme Payments"]);
        for bad in [
            json!({"name": ""}),
            json!({"name": "x".repeat(101)}),
            json!({"name": 7}),
            json!({}),
        ] {
            let res = admin.post("/organizations", bad.clone()).await;
            assert_problem(&res, 422);
            assert_eq!(res.body["field"], "name", "{bad}");
        }
    }
);

on_both_backends!(
    every_error_class_is_problem_json_naming_the_field,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let clients = format!("/admin/v1/organizations/{}/clients", app.org_id);
        let raw = |content_type: &'static str, body: String| {
            app.http
                .post(app.url(&clients))
                .bearer_auth(&admin.token)
                .header("content-type", content_type)
                .body(body)
        };
        let check = |res: reqwest::Response, status: u16| async move {
            assert_eq!(res.status().as_u16(), status);
            assert_eq!(res.headers()["content-type"], "application/problem+json");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["status"], status);
            body
        };

        let body = check(
            raw("application/json", "{\"name\": ".into())
                .send()
                .await
                .unwrap(),
            400,
        )
        .await;
        assert!(body["detail"].as_str().unwrap().contains("not valid JSON"));
        let body = check(
            raw(
                "application/json",
                r#"{"name": "x", "roles": ["a", 5]}"#.into(),
            )
            .send()
            .await
            .unwrap(),
            422,
        )
        .await;
        assert_eq!(body["field"], "roles[1]");
        let body = check(
            raw(
                "application/json",
                r#"{"name": "x", "roles": [], "admin": true}"#.into(),
            )
            .send()
            .await
            .unwrap(),
            422,
        )
        .await;
        assert_eq!(body["field"], "admin");
        let body = check(
            raw("application/json", r#"{"roles": []}"#.into())
                .send()
                .await
                .unwrap(),
            422,
        )
        .await;
        assert!(body["detail"].as_str().unwrap().contains("name"));
        let body = check(
            raw(
                "application/json",
                r#"{"name": "x", "roles": ["org:admin", "org:admin"]}"#.into(),
            )
            .send()
            .await
            .unwrap(),
            422,
        )
        .await;
        assert_eq!(body["field"], "roles");
        check(
            raw("text/plain", r#"{"name": "x", "roles": []}"#.into())
                .send()
                .await
                .unwrap(),
            415,
        )
        .await;
        check(
            raw(
                "application/json",
                format!(r#"{{"name": "{}", "roles": []}}"#, "x".repeat(100_000)),
            )
            .send()
            .await
            .unwrap(),
            413,
        )
        .await;
        check(app.get(&clients).await, 401).await;
        check(app.get_bearer("/admin/v1/nope", &admin.token).await, 404).await;

        // Nothing was created by any of those.
        assert_eq!(
            admin
                .get(&format!("/organizations/{}/clients", app.org_id))
                .await
                .body
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
);

on_both_backends!(
    a_failed_audit_write_leaves_nothing_half_written,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let org = app.org_id.clone();
        let (id, secret) = admin.create_client(&org, "svc", &["org:admin"]).await;
        let sql = |q: &str| {
            let mut conn = app.store();
            diesel::sql_query(q).execute(&mut **conn).unwrap()
        };

        // The audit insert fails: every mutation must roll back with it.
        sql("ALTER TABLE audit_events RENAME TO audit_events_away");
        let clients = format!("/organizations/{org}/clients");
        let attempts = [
            admin
                .post(&clients, json!({"name": "ghost", "roles": []}))
                .await,
            admin
                .patch(
                    &format!("{clients}/{id}"),
                    json!({"name": "renamed", "roles": []}),
                )
                .await,
            admin
                .post(&format!("{clients}/{id}/secret"), json!({}))
                .await,
            admin.delete(&format!("{clients}/{id}")).await,
            admin
                .post("/organizations", json!({"name": "ghost org"}))
                .await,
        ];
        for res in &attempts {
            assert!(res.status >= 500, "{res:?}");
            assert!(res.content_type.starts_with("application/problem+json"));
        }
        sql("ALTER TABLE audit_events_away RENAME TO audit_events");

        let list = admin.get(&clients).await;
        let names: Vec<&str> = list
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["Bootstrap admin", "svc"],
            "no ghost client, no rename"
        );
        let svc = admin.get(&format!("{clients}/{id}")).await;
        assert_eq!(svc.body["roles"], json!(["org:admin"]));
        assert!(svc.body["secret_rotated_at"].is_null());
        assert_eq!(
            app.token_basic(&id, &secret, &[]).await.status(),
            200,
            "the secret was not rotated"
        );
        assert_eq!(
            admin
                .get("/organizations")
                .await
                .body
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
);

/// The operations of the SPEC's admin table, and revoke-tokens (issue: cut off a client's
/// tokens).
const OPERATIONS: [(&str, &str); 38] = [
    ("get", "/admin/v1/keys"),
    ("post", "/admin/v1/keys/{kid}/revoke"),
    ("get", "/admin/v1/organizations/{org_id}/sso"),
    ("put", "/admin/v1/organizations/{org_id}/sso"),
    ("delete", "/admin/v1/organizations/{org_id}/sso"),
    ("put", "/admin/v1/organizations/{org_id}/sso/domains"),
    ("get", "/admin/v1/me"),
    ("get", "/admin/v1/me/sessions"),
    ("delete", "/admin/v1/me/sessions"),
    ("delete", "/admin/v1/me/sessions/{id}"),
    ("get", "/admin/v1/me/passkeys"),
    ("delete", "/admin/v1/me/passkeys/{id}"),
    ("get", "/admin/v1/organizations/{org_id}/members"),
    (
        "patch",
        "/admin/v1/organizations/{org_id}/members/{user_id}",
    ),
    (
        "delete",
        "/admin/v1/organizations/{org_id}/members/{user_id}",
    ),
    (
        "delete",
        "/admin/v1/organizations/{org_id}/members/{user_id}/sessions",
    ),
    ("get", "/admin/v1/organizations/{org_id}/invitations"),
    ("post", "/admin/v1/organizations/{org_id}/invitations"),
    (
        "delete",
        "/admin/v1/organizations/{org_id}/invitations/{invitation_id}",
    ),
    ("get", "/admin/v1/roles"),
    ("post", "/admin/v1/roles"),
    ("delete", "/admin/v1/roles/{name}"),
    ("get", "/admin/v1/organizations"),
    ("post", "/admin/v1/organizations"),
    ("get", "/admin/v1/organizations/{org_id}"),
    ("patch", "/admin/v1/organizations/{org_id}"),
    ("get", "/admin/v1/settings"),
    ("get", "/admin/v1/organizations/{org_id}/clients"),
    ("post", "/admin/v1/organizations/{org_id}/clients"),
    (
        "get",
        "/admin/v1/organizations/{org_id}/clients/{client_id}",
    ),
    (
        "patch",
        "/admin/v1/organizations/{org_id}/clients/{client_id}",
    ),
    (
        "post",
        "/admin/v1/organizations/{org_id}/clients/{client_id}/secret",
    ),
    (
        "delete",
        "/admin/v1/organizations/{org_id}/clients/{client_id}",
    ),
    ("get", "/admin/v1/organizations/{org_id}/audit-events"),
    (
        "get",
        "/admin/v1/organizations/{org_id}/clients/{client_id}/trust-policies",
    ),
    (
        "post",
        "/admin/v1/organizations/{org_id}/clients/{client_id}/trust-policies",
    ),
    (
        "delete",
        "/admin/v1/organizations/{org_id}/clients/{client_id}/trust-policies/{policy_id}",
    ),
    (
        "post",
        "/admin/v1/organizations/{org_id}/clients/{client_id}/revoke-tokens",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_documents_every_registered_route() {
    let s = spawn_app(Backend::Sqlite).await;
    let app = &s;
    let res = app.get("/admin/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(doc["servers"][0]["url"], app.config.issuer.as_str());
    // `limit` is an integer within its bounds, on every list.
    for path in [
        "/admin/v1/organizations",
        "/admin/v1/organizations/{org_id}/clients",
        "/admin/v1/organizations/{org_id}/audit-events",
    ] {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
        let schema = &limit["schema"];
        assert!(
            schema["type"] == "integer" || schema["type"] == json!(["integer", "null"]),
            "{path}: {limit}"
        );
        assert_eq!(
            (schema["minimum"].as_i64(), schema["maximum"].as_i64()),
            (Some(1), Some(200)),
            "{path}"
        );
    }

    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            documented.push((method.clone(), path.clone()));
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.contains_key("401"),
                "{method} {path} documents 401"
            );
            assert_eq!(
                responses["401"]["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem"
            );
        }
    }
    documented.sort();
    let mut expected: Vec<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    expected.sort();
    assert_eq!(documented, expected);

    // Each documented operation is really served: without a token it asks for one (401),
    // where an unregistered route would be a 404.
    for (method, path) in OPERATIONS {
        let concrete = path
            .replace("{name}", "x")
            .replace("{org_id}", "org_x")
            .replace("{client_id}", "c")
            .replace("{policy_id}", "tp_x")
            .replace("{kid}", "k");
        let res = app
            .http
            .request(method.to_uppercase().parse().unwrap(), app.url(&concrete))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{method} {path}");
    }
}

on_both_backends!(
    organizations_are_paginated_and_renamed_with_an_audit_event,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let mut made = Vec::new();
        for name in ["Acme", "Globex", "Initech"] {
            made.push(admin.create_org(name).await);
        }
        // The bootstrap organization and three more, two per page.
        let first = admin.get("/organizations?limit=2").await;
        assert_eq!(first.status, 200);
        assert_eq!(first.body.as_array().unwrap().len(), 2);
        let cursor = first.headers["x-next-cursor"].to_str().unwrap().to_owned();
        let second = admin
            .get(&format!("/organizations?limit=2&cursor={cursor}"))
            .await;
        let ids: Vec<&str> = first
            .body
            .as_array()
            .unwrap()
            .iter()
            .chain(second.body.as_array().unwrap())
            .map(|o| o["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 4);
        assert_eq!(ids[0], app.org_id);
        assert_eq!(
            &ids[1..],
            made.iter().map(String::as_str).collect::<Vec<_>>()
        );
        assert!(second.headers.get("x-next-cursor").is_none());
        assert_problem(&admin.get("/organizations?limit=0").await, 400);

        let renamed = admin
            .patch(
                &format!("/organizations/{}", made[0]),
                json!({"name": "Acme Corp"}),
            )
            .await;
        assert_eq!(renamed.status, 200);
        assert_eq!(renamed.body["name"], "Acme Corp");
        let listed = admin.get("/organizations").await;
        assert!(
            listed
                .body
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["name"] == "Acme Corp")
        );
        let events = admin
            .get(&format!("/organizations/{}/audit-events", made[0]))
            .await;
        let event = &events.body.as_array().unwrap()[0];
        assert_eq!(event["action"], "organization.renamed");
        assert_eq!(
            event["details"]["name"],
            json!({"from": "Acme", "to": "Acme Corp"})
        );
        assert_problem(
            &admin
                .patch("/organizations/org_nope", json!({"name": "x"}))
                .await,
            404,
        );
        assert_problem(
            &admin
                .patch(&format!("/organizations/{}", made[1]), json!({"name": ""}))
                .await,
            422,
        );

        // An org admin may not rename, not even its own organization.
        let (id, secret) = admin
            .create_client(&made[1], "globex-admin", &["org:admin"])
            .await;
        let org_admin = app.admin_api(&id, &secret).await;
        assert_problem(
            &org_admin
                .patch(
                    &format!("/organizations/{}", made[1]),
                    json!({"name": "Mine"}),
                )
                .await,
            403,
        );
    }
);

/// Every example in the OpenAPI document validates against the schema it illustrates, and
/// each object schema's property examples together make a valid instance of it: a client
/// generated from the document, or a reader copying an example, gets something the server
/// really sends or accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_examples_validate_against_their_schemas() {
    let s = spawn_app(Backend::Sqlite).await;
    let doc: Value = s.get("/admin/v1/openapi.json").await.json().await.unwrap();

    let mut checked = 0;
    let mut failures = Vec::new();
    let mut check = |pointer: &str, example: &Value| {
        let mut root = doc.clone();
        root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
        root["$ref"] = json!(format!("#{fragment}"));
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{pointer}: {e}"));
        for error in validator.iter_errors(example) {
            failures.push(format!("{pointer}: {example} — {error}"));
        }
        checked += 1;
    };

    // Examples written on schemas, parameters and media types.
    let mut stack = vec![(String::new(), &doc)];
    while let Some((pointer, node)) = stack.pop() {
        match node {
            Value::Object(map) => {
                if let Some(example) = map.get("example") {
                    if map.contains_key("schema") {
                        check(&format!("{pointer}/schema"), example);
                    } else {
                        check(&pointer, example);
                    }
                }
                for (key, child) in map {
                    if key != "example" && key != "examples" {
                        let escaped = key.replace('~', "~0").replace('/', "~1");
                        stack.push((format!("{pointer}/{escaped}"), child));
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    stack.push((format!("{pointer}/{i}"), child));
                }
            }
            _ => {}
        }
    }

    // Each object schema, instantiated from its property examples.
    let mut incomplete = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        let instance: serde_json::Map<String, Value> = properties
            .iter()
            .filter_map(|(p, s)| Some((p.clone(), s.get("example")?.clone())))
            .collect();
        let missing: Vec<&String> = properties
            .keys()
            .filter(|p| !instance.contains_key(*p))
            .collect();
        if missing.is_empty() {
            check(
                &format!("/components/schemas/{name}"),
                &Value::Object(instance),
            );
        } else {
            incomplete.push(format!("{name}: {missing:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        incomplete.is_empty(),
        "properties without an example: {incomplete:#?}"
    );
    assert!(checked > 20, "only {checked} examples checked");
}

/// The console is type-checked (`tests/console`, `npm run typecheck`) against a snapshot of
/// this document: the snapshot must be the document the server serves, so that renaming or
/// removing an API field fails here, and then in the console's type check once the snapshot
/// is refreshed (`ORGAUTH_UPDATE_OPENAPI_SNAPSHOT=1 cargo test openapi_snapshot`).
#[tokio::test]
async fn openapi_snapshot_for_the_console_is_the_served_document() {
    let s = spawn_app(Backend::Sqlite).await;
    let mut served: Value = s.get("/admin/v1/openapi.json").await.json().await.unwrap();
    // The only part that depends on where this server runs.
    served["servers"] = serde_json::json!([{"url": "https://auth.example.com"}]);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/console/openapi.json");
    if std::env::var_os("ORGAUTH_UPDATE_OPENAPI_SNAPSHOT").is_some() {
        let text = serde_json::to_string_pretty(&served).unwrap() + "\n";
        std::fs::write(path, text).unwrap();
    }
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        snapshot == served,
        "tests/console/openapi.json differs from the served OpenAPI document: refresh it with \
         ORGAUTH_UPDATE_OPENAPI_SNAPSHOT=1 cargo test openapi_snapshot, then run the console's \
         type check (cd tests/console && npm run typecheck)"
    );
}
