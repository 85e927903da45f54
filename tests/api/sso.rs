//! Single sign-on connections (SPEC §10, the first part): an organization's admin connects
//! its IdP (discovery checked under the remote-key rules, the client secret write-only and
//! sealed), platform admins assign e-mail domains, viewers read, nobody else sees anything.

use serde_json::{Value, json};

use crate::common::issuer::start_issuer;
use crate::common::people::Person;
use crate::common::{TestApp, assert_problem, spawn_app_with};

async fn member<'a>(app: &'a TestApp, org: &str, email: &str, role: &str) -> Person<'a> {
    let url = app.platform_admin().await.invite(org, email, role).await;
    app.accept_invitation(&url, email).await.0
}

on_both_backends!(
    an_org_admin_connects_the_organizations_idp,
    |backend| async move {
        let app = spawn_app_with(backend, |c| c.allow_loopback_issuers = true).await;
        let idp = start_issuer(json!({"keys": []})).await;
        let admin = app.platform_admin().await;
        let acme = admin.create_org("Acme").await;
        let ann = member(&app, &acme, "ann@acme.example", "org:admin").await;
        let path = format!("/organizations/{acme}/sso");
        assert_problem(&ann.api.get(&path).await, 404);

        // The secret is required the first time.
        let body = json!({"issuer": idp.url, "client_id": "orgauth"});
        assert_problem(&ann.api.put(&path, body).await, 422);
        let secret = "idp-client-secret-Zq8";
        let res = ann
        .api
        .put(&path, json!({"issuer": format!("{}/", idp.url), "client_id": "orgauth", "client_secret": secret, "jit_role": "org:viewer"}))
        .await;
        assert_eq!(res.status, 200, "{:?}", res.body);
        assert_eq!(
            res.body["issuer"],
            idp.url.as_str(),
            "stored without the trailing /"
        );
        assert_eq!(res.body["client_secret_set"], true);
        assert_eq!(res.body["jit_role"], "org:viewer");
        assert_eq!(res.body["require_sso"], false);
        assert_eq!(
            res.body["redirect_uri"],
            "http://orgauth.test/auth/sso/callback"
        );
        let got = ann.api.get(&path).await;
        assert_eq!(got.status, 200);
        assert!(
            !got.body.to_string().contains(secret),
            "the secret is write-only"
        );

        // Updated without the secret: the stored one stays.
        let res = ann
            .api
            .put(
                &path,
                json!({"issuer": idp.url, "client_id": "orgauth-2", "require_sso": true}),
            )
            .await;
        assert_eq!(res.status, 200, "{:?}", res.body);
        assert_eq!(res.body["client_secret_set"], true);
        assert_eq!(res.body["require_sso"], true);
        assert_eq!(res.body["jit_role"], "org:viewer");

        // Sealed in the store, never there in clear; the audit log never holds it.
        {
            use diesel::prelude::*;
            use orgauth::store::schema::sso_connections;
            let sealed: Vec<u8> = sso_connections::table
                .select(sso_connections::sealed_client_secret)
                .first(&mut **app.store())
                .unwrap();
            assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_bytes()));
        }
        // With require_sso, Ann's passkey session no longer reaches Acme.
        assert_problem(&ann.api.get(&path).await, 404);
        let events = admin
            .get(&format!(
                "/organizations/{acme}/audit-events?action=sso.connected"
            ))
            .await;
        assert_eq!(events.body.as_array().unwrap().len(), 1);
        assert_eq!(events.body[0]["actor"]["email"], "ann@acme.example");
        assert!(!events.body.to_string().contains(secret));

        assert_eq!(admin.delete(&path).await.status, 204);
        assert_problem(&admin.get(&path).await, 404);
        assert_eq!(
            ann.api
                .get(&format!("/organizations/{acme}/clients"))
                .await
                .status,
            200
        );
    }
);

on_both_backends!(
    only_the_organizations_admins_connect_and_only_reachable_idps,
    |backend| async move {
        let app = spawn_app_with(backend, |c| c.allow_loopback_issuers = true).await;
        let idp = start_issuer(json!({"keys": []})).await;
        let admin = app.platform_admin().await;
        let acme = admin.create_org("Acme").await;
        let globex = admin.create_org("Globex").await;
        let viewer = member(&app, &acme, "vic@acme.example", "org:viewer").await;
        let other = member(&app, &globex, "gus@globex.example", "org:admin").await;
        let ann = member(&app, &acme, "ann@acme.example", "org:admin").await;
        let path = format!("/organizations/{acme}/sso");
        let body = json!({"issuer": idp.url, "client_id": "orgauth", "client_secret": "s"});
        assert_problem(&viewer.api.put(&path, body.clone()).await, 403);
        assert_problem(&other.api.put(&path, body.clone()).await, 404);
        assert_problem(&other.api.get(&path).await, 404);

        // An issuer that is not reachable under the rules, or whose discovery names another.
        for issuer in [
            "http://10.0.0.5",
            "https://127.0.0.1:9",
            "ftp://idp.example",
        ] {
            let res = ann
                .api
                .put(
                    &path,
                    json!({"issuer": issuer, "client_id": "c", "client_secret": "s"}),
                )
                .await;
            assert_problem(&res, 422);
            assert_eq!(res.body["field"], "issuer", "{issuer}: {:?}", res.body);
        }
        *idp.named_issuer.lock().unwrap() = Some("https://someone-else.example".into());
        let res = ann.api.put(&path, body.clone()).await;
        assert_problem(&res, 422);
        assert!(
            res.body["detail"]
                .as_str()
                .unwrap()
                .contains("another issuer"),
            "{:?}",
            res.body
        );
        *idp.named_issuer.lock().unwrap() = None;
        assert_problem(&ann.api.put(&path, json!({"issuer": idp.url, "client_id": "c", "client_secret": "s", "jit_role": "platform:admin"})).await, 422);

        // The viewer reads the connection once it exists.
        assert_eq!(ann.api.put(&path, body).await.status, 200);
        let seen = viewer.api.get(&path).await;
        assert_eq!(seen.status, 200);
        assert_eq!(seen.body["client_secret_set"], true);
    }
);

on_both_backends!(
    platform_admins_assign_each_domain_to_one_organization,
    |backend| async move {
        let app = spawn_app_with(backend, |_| {}).await;
        let admin = app.platform_admin().await;
        let acme = admin.create_org("Acme").await;
        let globex = admin.create_org("Globex").await;
        let ann = member(&app, &acme, "ann@acme.example", "org:admin").await;
        let domains = |org: &str| format!("/organizations/{org}/sso/domains");
        assert_problem(
            &ann.api.put(&domains(&acme), json!(["acme.example"])).await,
            403,
        );
        let res = admin
            .put(
                &domains(&acme),
                json!(["Acme.Example", "acme.example", "eu.acme.example"]),
            )
            .await;
        assert_eq!(res.status, 200, "{:?}", res.body);
        assert_eq!(res.body, json!(["acme.example", "eu.acme.example"]));
        assert_problem(
            &admin
                .put(&domains(&globex), json!(["globex.example", "acme.example"]))
                .await,
            409,
        );
        assert_problem(
            &admin.put(&domains(&globex), json!(["not a domain"])).await,
            422,
        );
        // The refused change left Globex without domains; Acme keeps its own.
        assert_eq!(
            admin
                .put(&domains(&globex), json!(["globex.example"]))
                .await
                .status,
            200
        );
        let events: Value = admin
            .get(&format!(
                "/organizations/{acme}/audit-events?action=sso.domains_set"
            ))
            .await
            .body;
        assert_eq!(
            events[0]["details"]["domains"],
            json!(["acme.example", "eu.acme.example"])
        );
    }
);
