//! The lists an admin works with at scale: clients searched, sorted and counted, the audit log
//! filtered and readable by name — tenant-isolated like everything else.

use crate::common::{Backend, assert_problem, spawn_app, spawn_app_with};
use serde_json::{Value, json};

fn names(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends!(
    clients_are_searched_sorted_counted_and_paged,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let org = admin.create_org("Acme").await;
        let other = admin.create_org("Globex").await;
        let mut ids = Vec::new();
        for name in [
            "billing-sync",
            "Billing export",
            "reports",
            "ledger_100%",
            "ledgerX100",
        ] {
            ids.push(admin.create_client(&org, name, &[]).await.0);
        }
        admin.create_client(&other, "billing-globex", &[]).await;
        let list = |query: String| {
            let admin = &admin;
            let org = org.clone();
            async move {
                admin
                    .get(&format!("/organizations/{org}/clients?{query}"))
                    .await
            }
        };

        // The default order is unchanged: oldest first; the count covers every page.
        let all = list("limit=2".into()).await;
        assert_eq!(names(&all.body), ["billing-sync", "Billing export"]);
        assert_eq!(all.headers["x-total-count"], "5");

        // Newest first.
        let newest = list("sort=-created_at".into()).await;
        assert_eq!(
            names(&newest.body),
            [
                "ledgerX100",
                "ledger_100%",
                "reports",
                "Billing export",
                "billing-sync"
            ]
        );

        // A case-insensitive part of the name; never another organization's client.
        let found = list("q=BILLING".into()).await;
        assert_eq!(names(&found.body), ["billing-sync", "Billing export"]);
        assert_eq!(found.headers["x-total-count"], "2");
        // `%` and `_` are characters, not wildcards.
        assert_eq!(names(&list("q=_100%25".into()).await.body), ["ledger_100%"]);
        // The start of a client ID.
        let by_id = list(format!("q={}", &ids[2][..12])).await;
        assert_eq!(names(&by_id.body), ["reports"]);
        // In exact case, and only from 8 characters: a shorter search (`e`) would also find
        // the clients whose random ID happens to start with it.
        let swapped: String = ids[2][..12]
            .chars()
            .map(|c| match c.is_ascii_uppercase() {
                true => c.to_ascii_lowercase(),
                false => c.to_ascii_uppercase(),
            })
            .collect();
        assert_eq!(
            names(&list(format!("q={swapped}")).await.body),
            [] as [&str; 0]
        );
        assert_eq!(
            names(&list(format!("q={}", &ids[2][..7])).await.body),
            [] as [&str; 0]
        );
        let none = list("q=nothing-like-this".into()).await;
        assert_eq!(
            (none.body.clone(), &none.headers["x-total-count"]),
            (json!([]), &"0".parse().unwrap())
        );

        // Sorted by name, two per page, searched: every match once, in the database's order
        // (its collation decides where `_` goes); the next link keeps the search and the sort.
        let mut seen = Vec::new();
        let mut query = "sort=name&limit=2&q=e".to_owned();
        loop {
            let page = list(query.clone()).await;
            assert_eq!(page.status, 200, "{:?}", page.body);
            assert_eq!(page.headers["x-total-count"], "4");
            seen.extend(names(&page.body));
            let Some(link) = page.headers.get("link") else {
                break;
            };
            let link = link.to_str().unwrap();
            assert!(link.contains("sort=name") && link.contains("q=e"), "{link}");
            let cursor = page.headers["x-next-cursor"].to_str().unwrap();
            query = format!("sort=name&limit=2&q=e&cursor={cursor}");
        }
        let one_page = names(&list("sort=name&limit=200&q=e".into()).await.body);
        assert_eq!(seen, one_page);
        let mut distinct = seen.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            distinct,
            ["Billing export", "ledgerX100", "ledger_100%", "reports"]
        );
        let mut reversed = names(&list("sort=name".into()).await.body);
        reversed.reverse();
        assert_eq!(names(&list("sort=-name".into()).await.body), reversed);

        // By last use: set two clients' last use, never-used ones count as least recent.
        {
            use diesel::prelude::*;
            use orgauth::store::schema::clients;
            let mut conn = app.store();
            for (id, at) in [
                (&ids[3], "2026-01-02T00:00:00"),
                (&ids[0], "2026-01-01T00:00:00"),
            ] {
                let at: chrono::NaiveDateTime = at.parse().unwrap();
                diesel::update(clients::table.find(id))
                    .set(clients::last_used_at.eq(Some(at)))
                    .execute(&mut **conn)
                    .unwrap();
            }
        }
        let recent = list("sort=-last_used_at&limit=2".into()).await;
        assert_eq!(names(&recent.body), ["ledger_100%", "billing-sync"]);
        let cursor = recent.headers["x-next-cursor"].to_str().unwrap().to_owned();
        let rest = list(format!("sort=-last_used_at&limit=10&cursor={cursor}")).await;
        assert_eq!(rest.body.as_array().unwrap().len(), 3, "{:?}", rest.body);
        let least = list("sort=last_used_at".into()).await;
        assert_eq!(names(&least.body)[3..], ["billing-sync", "ledger_100%"]);

        // A cursor belongs to its order; bad values are named.
        let foreign = list(format!("sort=name&cursor={cursor}")).await;
        assert_problem(&foreign, 400);
        assert_eq!(foreign.body["field"], "cursor");
        for (query, field) in [
            ("sort=size", "sort"),
            (&format!("q={}", "x".repeat(101)) as &str, "q"),
            ("q=a%00b", "q"),
        ] {
            let res = list(query.to_owned()).await;
            assert_problem(&res, 400);
            assert_eq!(res.body["field"], field, "{query}");
        }
    }
);

on_both_backends!(
    the_audit_log_is_filtered_and_reads_by_name,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let org = admin.create_org("Acme").await;
        let (operator_id, operator_secret) = admin
            .create_client(&org, "console operator", &["org:admin"])
            .await;
        let operator = app.admin_api(&operator_id, &operator_secret).await;
        let (id, _) = operator.create_client(&org, "billing-sync", &[]).await;
        let (other_id, _) = operator.create_client(&org, "reports", &[]).await;
        let before_rotation = chrono::Utc::now();
        let rotated = operator
            .post(
                &format!("/organizations/{org}/clients/{id}/secret"),
                json!({"grace_period_seconds": 3600}),
            )
            .await;
        assert_eq!(rotated.status, 200);
        assert!(rotated.body["previous_secret_expires_at"].is_string());
        assert_eq!(
            operator
                .delete(&format!("/organizations/{org}/clients/{id}"))
                .await
                .status,
            204
        );
        let events = |query: String| {
            let operator = &operator;
            let org = org.clone();
            async move {
                operator
                    .get(&format!("/organizations/{org}/audit-events?{query}"))
                    .await
            }
        };

        // The deleted client's history still names it; the actor is named too.
        let about = events(format!("target={id}")).await;
        let actions: Vec<&str> = about
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            ["client.deleted", "client.secret_rotated", "client.created"]
        );
        for event in about.body.as_array().unwrap() {
            assert_eq!(event["target_name"], "billing-sync", "{event}");
            assert_eq!(event["actor_name"], "console operator", "{event}");
            assert_eq!(event["actor_client_id"], operator_id.as_str());
            assert_eq!(
                event["actor"],
                serde_json::json!({
                    "type": "client", "id": operator_id, "name": "console operator",
                    "email": null, "session_id": null, "method": null,
                    "address": "127.0.0.1", "user_agent": null,
                }),
                "{event}"
            );
        }
        assert_eq!(about.body[1]["details"]["grace_period_seconds"], 3600);

        let created = events("action=client.created".into()).await;
        let targets: Vec<&str> = created
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["target_name"].as_str().unwrap())
            .collect();
        assert_eq!(targets, ["reports", "billing-sync", "console operator"]);

        // A time range: since is inclusive, until exclusive.
        let since = before_rotation.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let recent = events(format!("since={}", since.replace('+', "%2B"))).await;
        assert_eq!(
            recent.body.as_array().unwrap().len(),
            2,
            "{:?}",
            recent.body
        );
        let earlier = events(format!("until={since}")).await;
        let earlier: Vec<&str> = earlier
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            earlier,
            [
                "client.created",
                "client.created",
                "client.created",
                "organization.created"
            ]
        );
        let both = events(format!("target={other_id}&action=client.created")).await;
        assert_eq!(both.body.as_array().unwrap().len(), 1);

        for (query, field) in [
            ("since=yesterday", "since"),
            ("until=2026-13-01T00:00:00Z", "until"),
        ] {
            let res = events(query.into()).await;
            assert_problem(&res, 400);
            assert_eq!(res.body["field"], field);
        }

        // Another organization's admin sees neither the log nor the organization.
        let globex = admin.create_org("Globex").await;
        let (outsider_id, outsider_secret) = admin
            .create_client(&globex, "outsider", &["org:admin"])
            .await;
        let outsider = app.admin_api(&outsider_id, &outsider_secret).await;
        assert_problem(
            &outsider
                .get(&format!("/organizations/{org}/audit-events?target={id}"))
                .await,
            404,
        );
        assert_problem(&outsider.get(&format!("/organizations/{org}")).await, 404);
        assert_problem(
            &outsider
                .get(&format!("/organizations/{org}/clients?q=billing"))
                .await,
            404,
        );
        let own = outsider.get(&format!("/organizations/{globex}")).await;
        assert_eq!(
            (own.status, own.body["name"].clone()),
            (200, json!("Globex"))
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_admin_reads_where_applications_get_tokens() {
    let s = spawn_app_with(Backend::Sqlite, |c| {
        c.audiences = vec![
            "https://api.example.com".into(),
            "https://other.example.com".into(),
        ];
    })
    .await;
    let app = &s;
    let admin = app.platform_admin().await;
    let org = admin.create_org("Acme").await;
    let (id, secret) = admin.create_client(&org, "org admin", &["org:admin"]).await;
    let res = app.admin_api(&id, &secret).await.get("/settings").await;
    assert_eq!(res.status, 200);
    let issuer = &app.config.issuer;
    assert_eq!(
        res.body,
        json!({
            "issuer": issuer,
            "token_endpoint": format!("{issuer}/oauth/token"),
            "audiences": ["https://api.example.com", "https://other.example.com"],
            "default_audience": "https://api.example.com",
            "token_ttl_seconds": 3600,
        })
    );
    assert_eq!(app.get("/admin/v1/settings").await.status(), 401);
}
