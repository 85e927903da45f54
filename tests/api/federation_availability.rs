//! Remote key sets under pressure (issue: hardening the remote-key surface): an issuer's key
//! rollover is followed at once and never locks a workload out, one tenant's slow issuer costs
//! one fetch and stalls nobody else, and a discovery document must name its own issuer.

use std::time::Duration;

use orgauth::token::{SigningAlg, SigningKey};
use serde_json::{Value, json};

use crate::common::issuer::{Issuer, start_issuer};
use crate::common::jws::{jwks, key, now, sign};
use crate::common::{Backend, TestApp, spawn_app_with};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SUBJECT: &str = "repo:acme/billing:environment:production";

fn workload_token(issuer: &Issuer, key: &SigningKey, aud: &str) -> String {
    sign(
        key,
        json!({}),
        json!({"iss": issuer.url, "aud": aud, "iat": now(), "exp": now() + 600, "sub": SUBJECT}),
    )
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

/// A client of a new organization that trusts `issuer`'s workloads.
async fn trusting_client(app: &TestApp, org_name: &str, issuer: &Issuer) -> String {
    let admin = app.platform_admin().await;
    let org = admin.create_org(org_name).await;
    let (client, _) = admin.create_client(&org, "deployer", &[]).await;
    let created = admin
        .post(
            &format!("/organizations/{org}/clients/{client}/trust-policies"),
            json!({"issuer": issuer.url, "audience": app.config.issuer, "subject": SUBJECT}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuers_key_rollover_is_followed_at_once_and_never_rate_limits_the_workload() {
    let s = spawn_app_with(Backend::Sqlite, |c| {
        c.allow_loopback_issuers = true;
        c.limiter.max_failures_per_client = 3;
    })
    .await;
    let app = &s;
    let old = key(SigningAlg::Es256);
    let issuer = start_issuer(jwks(&[&old])).await;
    let client = trusting_client(app, "Acme", &issuer).await;
    let aud = app.config.issuer.clone();
    assert_eq!(
        exchange(app, &client, &workload_token(&issuer, &old, &aud))
            .await
            .0,
        200
    );

    // The issuer starts signing with a new key a moment after this server fetched its set.
    let new = key(SigningAlg::Es256);
    *issuer.keys.lock().unwrap() = jwks(&[&old, &new]);
    let (status, body) = exchange(app, &client, &workload_token(&issuer, &new, &aud)).await;
    assert_eq!(status, 200, "the new kid is fetched at once: {body}");

    // Tokens naming kids the issuer does not publish (a workload ahead of a rollover, or
    // made-up kids): refused, never counted as failed authentications (no 429 past the limit
    // of 3), and they cost one more fetch, then none for 30 s.
    let before = issuer.fetches();
    let stranger = key(SigningAlg::Es256);
    for _ in 0..8 {
        let (status, body) =
            exchange(app, &client, &workload_token(&issuer, &stranger, &aud)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
    }
    assert!(
        issuer.fetches() - before <= 2,
        "a flood of unknown kids is not a flood of fetches ({} fetches)",
        issuer.fetches() - before
    );
    assert_eq!(
        exchange(app, &client, &workload_token(&issuer, &new, &aud))
            .await
            .0,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_tenants_slow_issuer_costs_one_fetch_and_stalls_no_other_tenant() {
    let s = spawn_app_with(Backend::Sqlite, |c| c.allow_loopback_issuers = true).await;
    let app = &s;
    let (slow_key, fast_key) = (key(SigningAlg::Es256), key(SigningAlg::Es256));
    let slow = start_issuer(jwks(&[&slow_key])).await;
    let fast = start_issuer(jwks(&[&fast_key])).await;
    let slow_client = trusting_client(app, "Slowco", &slow).await;
    let fast_client = trusting_client(app, "Fastco", &fast).await;
    *slow.delay.lock().unwrap() = Duration::from_secs(3);
    let aud = app.config.issuer.clone();

    let finished = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut waiting = Vec::new();
    for _ in 0..20 {
        let (app_url, http, token, client, finished) = (
            app.url("/oauth/token"),
            app.http.clone(),
            workload_token(&slow, &slow_key, &aud),
            slow_client.clone(),
            finished.clone(),
        );
        waiting.push(tokio::spawn(async move {
            let res = http
                .post(app_url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client.as_str()),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", token.as_str()),
                ])
                .send()
                .await
                .unwrap();
            finished.lock().unwrap().push("slow");
            res.status().as_u16()
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = exchange(app, &fast_client, &workload_token(&fast, &fast_key, &aud)).await;
    finished.lock().unwrap().push("fast");
    assert_eq!(status, 200, "{body}");
    for request in waiting {
        assert_eq!(request.await.unwrap(), 200);
    }
    assert_eq!(
        finished.lock().unwrap().first(),
        Some(&"fast"),
        "the other tenant's first token does not wait for the slow issuer"
    );
    assert_eq!(
        slow.fetches(),
        2,
        "20 concurrent requests share one fetch (its discovery document and key set)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discovery_document_naming_another_issuer_is_not_trusted() {
    let s = spawn_app_with(Backend::Sqlite, |c| c.allow_loopback_issuers = true).await;
    let app = &s;
    let k = key(SigningAlg::Es256);
    let issuer = start_issuer(jwks(&[&k])).await;
    let client = trusting_client(app, "Acme", &issuer).await;
    *issuer.named_issuer.lock().unwrap() =
        Some("https://token.actions.githubusercontent.com".into());
    let (status, body) = exchange(
        app,
        &client,
        &workload_token(&issuer, &k, &app.config.issuer),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("temporarily_unavailable")),
        "{body}"
    );
}

on_both_backends!(
    control_characters_in_a_tokens_issuer_are_refused_before_any_query,
    |backend: Backend| async move {
        let s = spawn_app_with(backend, |_| {}).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let (client, _) = admin.create_client(&app.org_id, "deployer", &[]).await;
        let k = key(SigningAlg::Es256);
        for iss in ["https://ci.example\u{0}", "https://ci\u{7}.example"] {
            let token = sign(
                &k,
                json!({}),
                json!({"iss": iss, "sub": "x", "aud": app.config.issuer, "exp": now() + 60}),
            );
            let (status, body) = exchange(app, &client, &token).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (401, Some("invalid_client")),
                "{body}"
            );
        }
        let res = admin
            .post(
                &format!("/organizations/{}/clients", app.org_id),
                json!({"name": "far future", "roles": [],
                       "client_secret_expires_at": "+10000-01-01T00:00:00Z"}),
            )
            .await;
        assert!(matches!(res.status, 400 | 422), "{:?}", res.body);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_made_up_kid_no_policy_could_check_is_counted_like_any_failure() {
    let s = spawn_app_with(Backend::Sqlite, |c| {
        c.allow_loopback_issuers = true;
        c.limiter.max_failures_per_client = 3;
    })
    .await;
    let app = &s;
    let admin = app.platform_admin().await;
    let (client, _) = admin.create_client(&app.org_id, "no policies", &[]).await;
    let stranger = key(SigningAlg::Es256);
    let mut statuses = Vec::new();
    for i in 0..6 {
        let token = sign(
            &stranger,
            json!({"kid": format!("made-up-{i}")}),
            json!({"iss": "https://anything.example", "sub": "s", "aud": app.config.issuer,
                   "exp": now() + 60}),
        );
        statuses.push(exchange(app, &client, &token).await.0);
    }
    assert!(
        statuses.contains(&429),
        "counted by the limiter: {statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_stored_before_todays_rules_admits_nothing() {
    let s = spawn_app_with(Backend::Sqlite, |c| c.allow_loopback_issuers = true).await;
    let app = &s;
    let k = key(SigningAlg::Es256);
    let issuer = start_issuer(jwks(&[&k])).await;
    let client = trusting_client(app, "Acme", &issuer).await;
    let aud = app.config.issuer.clone();
    assert_eq!(
        exchange(app, &client, &workload_token(&issuer, &k, &aud))
            .await
            .0,
        200
    );
    // What an earlier release accepted: a `*` standing for the owner.
    {
        use diesel::prelude::*;
        use orgauth::store::schema::trust_policies;
        let mut conn = app.store();
        diesel::update(trust_policies::table.filter(trust_policies::client_id.eq(&client)))
            .set(trust_policies::subject.eq("repo:*"))
            .execute(&mut **conn)
            .unwrap();
    }
    let token = sign(
        &k,
        json!({}),
        json!({"iss": issuer.url, "aud": aud, "iat": now(), "exp": now() + 600,
               "sub": "repo:evil/app:ref:refs/heads/main"}),
    );
    assert_eq!(exchange(app, &client, &token).await.0, 401);
}
