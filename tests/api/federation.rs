//! Workload identity federation: a CI job or a Kubernetes pod presents the token its platform
//! gives it (`client_assertion`, with `client_id` naming the client) and gets that client's
//! token, no stored secret. An HTTP server in the test plays the external issuer: its discovery
//! document, its JWKS, its keys (rotated mid-test), its tokens.

use orgauth::token::{SigningAlg, SigningKey};
use serde_json::{Value, json};

use crate::common::issuer::{Issuer, start_issuer};
use crate::common::jws::{jwks, key, now, sign};
use crate::common::{Backend, TestApp, assert_problem, spawn_app_with};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A workload token as GitHub Actions makes them.
fn workload_token(issuer: &Issuer, key: &SigningKey, aud: &str, changes: Value) -> String {
    let mut claims = json!({
        "iss": issuer.url, "aud": aud, "iat": now(), "nbf": now(), "exp": now() + 600,
        "sub": "repo:acme/billing:environment:production",
        "repository": "acme/billing", "ref": "refs/heads/main", "environment": "production",
        "run_id": 4242,
    });
    claims
        .as_object_mut()
        .unwrap()
        .extend(changes.as_object().unwrap().clone());
    sign(key, json!({}), claims)
}

async fn exchange(app: &TestApp, client_id: &str, token: &str) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", token),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

on_both_backends!(
    a_workload_token_from_a_trusted_issuer_acts_as_the_bound_client,
    |backend: Backend| async move {
        let s = spawn_app_with(backend, |c| c.allow_loopback_issuers = true).await;
        let app = &s;
        let admin = app.platform_admin().await;
        admin.create_role("billing:deploy").await;
        let acme = admin.create_org("Acme").await;
        let globex = admin.create_org("Globex").await;
        let (acme_admin_id, acme_admin_secret) =
            admin.create_client(&acme, "acme ops", &["org:admin"]).await;
        let acme_admin = app.admin_api(&acme_admin_id, &acme_admin_secret).await;
        let (deployer, _) = acme_admin
            .create_client(&acme, "deployer", &["billing:deploy"])
            .await;
        let (other, _) = admin.create_client(&globex, "globex deployer", &[]).await;

        let rs = key(SigningAlg::Rs256);
        let issuer = start_issuer(jwks(&[&rs])).await;
        let aud = app.config.issuer.clone();
        let policies = format!("/organizations/{acme}/clients/{deployer}/trust-policies");
        let created = acme_admin
            .post(
                &policies,
                json!({"issuer": issuer.url, "audience": aud,
                       "subject": "repo:acme/billing:environment:*",
                       "claims": {"repository": "acme/billing", "ref": "refs/heads/main"}}),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let policy_id = created.body["id"].as_str().unwrap().to_owned();
        let listed = acme_admin.get(&policies).await;
        assert_eq!(listed.body.as_array().unwrap().len(), 1);

        // The workload's token gets the client's token, and again (no single use: platforms
        // present the same token until it expires).
        let token = workload_token(&issuer, &rs, &aud, json!({}));
        for _ in 0..2 {
            let (status, body) = exchange(app, &deployer, &token).await;
            assert_eq!(status, 200, "{body}");
            let (_, claims) = app
                .verify(body["access_token"].as_str().unwrap(), &app.config.issuer)
                .await;
            assert_eq!(
                (claims.client_id.as_str(), claims.scope.as_str()),
                (deployer.as_str(), "billing:deploy")
            );
        }

        // Refused: anything the policy does not say, an expired token, a forged signature,
        // another organization's client.
        let stranger = key(SigningAlg::Rs256);
        let cases = [
            (
                "wrong aud",
                workload_token(&issuer, &rs, "https://elsewhere.example", json!({})),
            ),
            (
                "other repository",
                workload_token(&issuer, &rs, &aud, json!({"repository": "acme/other"})),
            ),
            (
                "other ref",
                workload_token(&issuer, &rs, &aud, json!({"ref": "refs/heads/feature"})),
            ),
            (
                "other subject",
                workload_token(
                    &issuer,
                    &rs,
                    &aud,
                    json!({"sub": "repo:evil/billing:environment:production"}),
                ),
            ),
            (
                "expired",
                workload_token(&issuer, &rs, &aud, json!({"exp": now() - 120})),
            ),
            (
                "signed by a stranger",
                workload_token(&issuer, &stranger, &aud, json!({})),
            ),
        ];
        for (case, token) in &cases {
            let (status, body) = exchange(app, &deployer, token).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (401, Some("invalid_client")),
                "{case}: {body}"
            );
        }
        let (status, _) = exchange(app, &other, &token).await;
        assert_eq!(
            status, 401,
            "the policy binds one client of one organization"
        );

        // The issuer rotates its key: a token with the new kid is verified after a refetch.
        let rotated = key(SigningAlg::Es256);
        *issuer.keys.lock().unwrap() = jwks(&[&rs, &rotated]);
        tokio::time::sleep(std::time::Duration::from_secs(31)).await;
        let (status, body) = exchange(
            app,
            &deployer,
            &workload_token(&issuer, &rotated, &aud, json!({})),
        )
        .await;
        assert_eq!(status, 200, "after the issuer's key rotation: {body}");

        // Tenancy: another organization's admin can neither see nor add policies here.
        let (globex_admin_id, globex_admin_secret) = admin
            .create_client(&globex, "globex ops", &["org:admin"])
            .await;
        let globex_admin = app.admin_api(&globex_admin_id, &globex_admin_secret).await;
        assert_problem(&globex_admin.get(&policies).await, 404);
        let res = globex_admin
            .post(
                &policies,
                json!({"issuer": issuer.url, "audience": aud, "subject": "x"}),
            )
            .await;
        assert_problem(&res, 404);

        // Audited; deleting the policy ends it at once.
        let events = acme_admin
            .get(&format!(
                "/organizations/{acme}/audit-events?target={deployer}&action=trust_policy.created"
            ))
            .await;
        assert_eq!(
            events.body[0]["details"]["subject"],
            "repo:acme/billing:environment:*"
        );
        assert_eq!(
            acme_admin
                .delete(&format!("{policies}/{policy_id}"))
                .await
                .status,
            204
        );
        assert_eq!(exchange(app, &deployer, &token).await.0, 401);
        assert_problem(
            &acme_admin.delete(&format!("{policies}/{policy_id}")).await,
            404,
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_refuse_what_would_trust_too_much_and_internal_issuers_are_not_fetched() {
    // Without ORGAUTH_ALLOW_LOOPBACK_ISSUERS: an issuer on loopback is never fetched.
    let s = spawn_app_with(Backend::Sqlite, |_| {}).await;
    let app = &s;
    let admin = app.platform_admin().await;
    let (client, _) = admin.create_client(&app.org_id, "deployer", &[]).await;
    let policies = format!(
        "/organizations/{}/clients/{client}/trust-policies",
        app.org_id
    );
    let aud = app.config.issuer.clone();
    for (body, field) in [
        (
            json!({"issuer": "ftp://x", "audience": aud, "subject": "s"}),
            "issuer",
        ),
        (
            json!({"issuer": "https://ci@127.0.0.1", "audience": aud, "subject": "s"}),
            "issuer",
        ),
        (
            json!({"issuer": aud, "audience": aud, "subject": "s"}),
            "issuer",
        ),
        (
            json!({"issuer": "https://x", "audience": "sts.amazonaws.com", "subject": "s"}),
            "audience",
        ),
        (
            json!({"issuer": "https://x", "audience": aud, "subject": "*"}),
            "subject",
        ),
        (
            json!({"issuer": "https://x", "audience": aud, "subject": "*:ref:refs/heads/main"}),
            "subject",
        ),
        (
            json!({"issuer": "https://x", "audience": aud, "subject": "repo:acme*"}),
            "subject",
        ),
        (
            json!({"issuer": "https://x", "audience": aud, "subject": "s", "claims": {"aud": "x"}}),
            "claims",
        ),
    ] {
        let res = admin.post(&policies, body.clone()).await;
        assert_problem(&res, 422);
        assert_eq!(res.body["field"], field, "{body}");
    }

    let rs = key(SigningAlg::Rs256);
    let issuer = start_issuer(jwks(&[&rs])).await;
    // Refused when registered (not only at first use): loopback without the switch, an
    // internal address, a port other than 443.
    for (issuer_url, jwks_uri, field) in [
        (issuer.url.as_str(), None, "issuer"),
        ("https://10.1.2.3", None, "issuer"),
        ("https://169.254.169.254", None, "issuer"),
        ("https://[::1]", None, "issuer"),
        ("https://1.1.1.1:8443", None, "issuer"),
        (
            "https://1.1.1.1",
            Some("https://192.168.0.10/keys"),
            "jwks_uri",
        ),
    ] {
        let mut body =
            json!({"issuer": issuer_url, "audience": aud, "subject": "repo:acme/billing:*"});
        if let Some(uri) = jwks_uri {
            body["jwks_uri"] = json!(uri);
        }
        let res = admin.post(&policies, body.clone()).await;
        assert_problem(&res, 422);
        assert_eq!(res.body["field"], field, "{body}");
    }
    assert_eq!(
        admin.get(&policies).await.body,
        json!([]),
        "nothing created"
    );
    let (status, body) =
        exchange(app, &client, &workload_token(&issuer, &rs, &aud, json!({}))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
}

/// A trust policy mints its client's tokens, so it follows the grant rule: an org admin may not
/// attach one to (or remove one from) a platform admin's client of its own organization, and
/// nothing is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_admin_cannot_trust_workloads_for_a_platform_admin_client() {
    let s = spawn_app_with(Backend::Sqlite, |c| c.allow_loopback_issuers = true).await;
    let app = &s;
    let admin = app.platform_admin().await;
    let (org_admin_id, org_admin_secret) = admin
        .create_client(&app.org_id, "ops", &["org:admin"])
        .await;
    let org_admin = app.admin_api(&org_admin_id, &org_admin_secret).await;
    let (platform_client, _) = admin
        .create_client(&app.org_id, "root", &["platform:admin"])
        .await;
    let policies = format!(
        "/organizations/{}/clients/{platform_client}/trust-policies",
        app.org_id
    );
    let body = json!({"issuer": "https://token.actions.githubusercontent.com",
                      "audience": app.config.issuer, "subject": "repo:acme/x:ref:refs/heads/main"});
    assert_problem(&org_admin.post(&policies, body.clone()).await, 403);
    assert_eq!(
        admin.get(&policies).await.body,
        json!([]),
        "nothing created"
    );
    let created = admin.post(&policies, body).await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_str().unwrap();
    assert_problem(&org_admin.delete(&format!("{policies}/{id}")).await, 403);
    assert_eq!(
        admin.get(&policies).await.body.as_array().unwrap().len(),
        1,
        "nothing deleted"
    );
}
