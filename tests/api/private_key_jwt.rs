//! `private_key_jwt` (RFC 7523 §2.2): a client registers public keys instead of holding a
//! secret and signs a short-lived, single-use assertion for each token. The assertions here
//! are real JWS signed with ES256, EdDSA and RS256 keys; forged ones (`none`, HMAC keyed with
//! the public key, another key, a replay) are refused — a replay also on another instance.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use orgauth::token::{SigningAlg, SigningKey};
use serde_json::{Value, json};

use crate::common::jws::{jwks, key, now, sign};
use crate::common::{
    Backend, TestApp, TestDatabase, assert_problem, spawn_app, spawn_with, test_config,
};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn claims(client_id: &str, aud: &str) -> Value {
    json!({
        "iss": client_id, "sub": client_id, "aud": aud,
        "iat": now(), "exp": now() + 60,
        "jti": orgauth::domain::random_base62(22),
    })
}

async fn token_with(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    let mut all = vec![("grant_type", "client_credentials")];
    all.extend_from_slice(form);
    let res = app
        .http
        .post(app.url("/oauth/token"))
        .form(&all)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn token_by_assertion(
    app: &TestApp,
    client_id: Option<&str>,
    assertion: &str,
) -> (u16, Value) {
    let mut form = vec![
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ];
    if let Some(id) = client_id {
        form.push(("client_id", id));
    }
    token_with(app, &form).await
}

on_both_backends!(
    a_key_client_gets_tokens_with_signed_assertions_and_nothing_forged_passes,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let org = admin.create_org("Acme").await;
        admin.create_role("billing:read").await;
        let (es, ed, rs) = (
            key(SigningAlg::Es256),
            key(SigningAlg::EdDsa),
            key(SigningAlg::Rs256),
        );

        let created = admin
            .post(
                &format!("/organizations/{org}/clients"),
                json!({"name": "signer", "roles": ["billing:read"],
                       "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks(&[&es, &ed])}),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        assert_eq!(
            created.body["token_endpoint_auth_method"],
            "private_key_jwt"
        );
        assert!(
            created.body.get("client_secret").is_none(),
            "a key client has no secret"
        );
        assert_eq!(created.body["jwks"]["keys"].as_array().unwrap().len(), 2);
        let id = created.body["client_id"].as_str().unwrap().to_owned();
        let issuer = app.config.issuer.clone();
        let token_url = format!("{issuer}/oauth/token");

        // ES256 for the token endpoint URL, EdDSA for the issuer; client_id sent or not.
        let (status, body) = token_by_assertion(
            app,
            Some(&id),
            &sign(&es, json!({}), claims(&id, &token_url)),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (_, access) = app
            .verify(body["access_token"].as_str().unwrap(), &issuer)
            .await;
        assert_eq!(
            (access.client_id.as_str(), access.scope.as_str()),
            (id.as_str(), "billing:read")
        );
        let (status, body) =
            token_by_assertion(app, None, &sign(&ed, json!({}), claims(&id, &issuer))).await;
        assert_eq!(status, 200, "{body}");

        // Single use.
        let once = sign(&es, json!({}), claims(&id, &issuer));
        assert_eq!(token_by_assertion(app, Some(&id), &once).await.0, 200);
        let (status, body) = token_by_assertion(app, Some(&id), &once).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
        assert_eq!(
            body["error_description"],
            "the client assertion was already used (jti)"
        );

        // Refused: each forgery or mistake (on a client of its own: failures count against the
        // client's limit of 10 a minute).
        let target = admin
            .post(
                &format!("/organizations/{org}/clients"),
                json!({"name": "target", "roles": [], "jwks": jwks(&[&es])}),
            )
            .await;
        let id = target.body["client_id"].as_str().unwrap().to_owned();
        let mut long = claims(&id, &issuer);
        long["exp"] = json!(now() + 600);
        let mut expired = claims(&id, &issuer);
        expired["exp"] = json!(now() - 120);
        let mut other_iss = claims(&id, &issuer);
        other_iss["iss"] = json!("someone-else");
        let mut no_jti = claims(&id, &issuer);
        no_jti.as_object_mut().unwrap().remove("jti");
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims(&id, &issuer).to_string())
        );
        // HMAC keyed with the public key (algorithm confusion).
        let public_x = es.public_jwk();
        let hmac_key = serde_json::to_value(public_x).unwrap()["x"]
            .as_str()
            .unwrap()
            .to_owned();
        let hs256 = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims(&id, &issuer),
            &jsonwebtoken::EncodingKey::from_secret(hmac_key.as_bytes()),
        )
        .unwrap();
        let cases: Vec<(&str, String, Option<&str>)> = vec![
            (
                "another key",
                sign(&rs, json!({"kid": es.kid}), claims(&id, &issuer)),
                None,
            ),
            (
                "wrong audience",
                sign(&es, json!({}), claims(&id, "https://elsewhere.example")),
                None,
            ),
            ("expired", sign(&es, json!({}), expired), None),
            (
                "iss is not the client",
                sign(&es, json!({}), other_iss),
                None,
            ),
            ("alg none", unsigned, None),
            ("HS256 with the public key", hs256, None),
            ("not a JWT", "abc".into(), None),
            (
                "ten minutes",
                sign(&es, json!({}), long),
                Some("the client assertion lives longer than 5 minutes (exp)"),
            ),
            (
                "no jti",
                sign(&es, json!({}), no_jti),
                Some("the client assertion has no jti (or one longer than 256 characters)"),
            ),
        ];
        for (case, assertion, reason) in cases {
            let (status, body) = token_by_assertion(app, Some(&id), &assertion).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (401, Some("invalid_client")),
                "{case}: {body}"
            );
            assert_eq!(
                body["error_description"].as_str(),
                Some(reason.unwrap_or("client authentication failed")),
                "{case}"
            );
        }

        let id = created.body["client_id"].as_str().unwrap().to_owned();

        // Two methods at once, or half of one, are malformed requests.
        let assertion = sign(&es, json!({}), claims(&id, &issuer));
        let secret = orgauth::domain::NewClientSecret::generate();
        let (status, _) = token_with(
            app,
            &[
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion),
                ("client_id", &id),
                ("client_secret", secret.secret().expose()),
            ],
        )
        .await;
        assert_eq!(status, 400);
        let (status, body) = token_with(app, &[("client_assertion", &assertion)]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request"))
        );
        let (status, _) = token_with(
            app,
            &[
                ("client_assertion_type", "urn:x"),
                ("client_assertion", &assertion),
            ],
        )
        .await;
        assert_eq!(status, 400);
        // A secret never authenticates a key client.
        assert_eq!(
            app.token_basic(&id, secret.secret().expose(), &[])
                .await
                .status(),
            401
        );

        // Introspection accepts the same authentication.
        let introspected = app
            .http
            .post(app.url("/oauth/introspect"))
            .form(&[
                ("token", body_token(app, &es, &id).await.as_str()),
                ("client_assertion_type", JWT_BEARER),
                (
                    "client_assertion",
                    &sign(
                        &es,
                        json!({}),
                        claims(&id, &format!("{issuer}/oauth/introspect")),
                    ),
                ),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(introspected.status(), 200);
        let introspected: Value = introspected.json().await.unwrap();
        assert_eq!(introspected["active"], true);

        // Disabled: refused like a secret client.
        admin
            .patch(
                &format!("/organizations/{org}/clients/{id}"),
                json!({"disabled": true}),
            )
            .await;
        let (status, body) =
            token_by_assertion(app, Some(&id), &sign(&es, json!({}), claims(&id, &issuer))).await;
        assert_eq!(
            (status, body["error_description"].as_str()),
            (401, Some("the client is disabled"))
        );

        // Metadata names the method and the algorithms.
        let meta: Value = app
            .get("/.well-known/oauth-authorization-server")
            .await
            .json()
            .await
            .unwrap();
        assert!(
            meta["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("private_key_jwt"))
        );
        assert_eq!(
            meta["token_endpoint_auth_signing_alg_values_supported"],
            json!(["ES256", "RS256", "PS256", "EdDSA"])
        );
    }
);

async fn body_token(app: &TestApp, key: &SigningKey, id: &str) -> String {
    let (status, body) = token_by_assertion(
        app,
        Some(id),
        &sign(key, json!({}), claims(id, &app.config.issuer)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

on_both_backends!(
    keys_are_checked_at_registration_and_a_client_switches_method,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let admin = app.platform_admin().await;
        let org = admin.create_org("Acme").await;
        let clients = format!("/organizations/{org}/clients");
        let es = key(SigningAlg::Es256);
        let public = serde_json::to_value(es.public_jwk()).unwrap();

        let mut with_private = public.clone();
        with_private["d"] = json!("AAAA");
        let mut p384 = public.clone();
        p384["crv"] = json!("P-384");
        let short_rsa =
            json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode([0xc5u8; 128]), "e": "AQAB"});
        let huge_rsa =
            json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode([0xc5u8; 2048]), "e": "AQAB"});
        let even_e = json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode([0xc5u8; 256]), "e": "AQAC"});
        let mut off_curve = public.clone();
        off_curve["y"] = json!(URL_SAFE_NO_PAD.encode([7u8; 32]));
        let mut short_x = public.clone();
        short_x["x"] = json!("AQ");
        let short_ed = json!({"kty": "OKP", "crv": "Ed25519", "x": "AQ"});
        for (case, jwks) in [
            ("private part", json!({"keys": [with_private]})),
            ("three keys", json!({"keys": [public, public, public]})),
            ("no keys", json!({"keys": []})),
            (
                "symmetric",
                json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}),
            ),
            ("P-384", json!({"keys": [p384]})),
            ("RSA 1024", json!({"keys": [short_rsa]})),
            ("same kid twice", json!({"keys": [public, public]})),
            ("RSA 16384", json!({"keys": [huge_rsa]})),
            ("even RSA exponent", json!({"keys": [even_e]})),
            ("a point off the curve", json!({"keys": [off_curve]})),
            ("a 1-byte x", json!({"keys": [short_x]})),
            ("a 1-byte Ed25519 key", json!({"keys": [short_ed]})),
        ] {
            let res = admin
                .post(&clients, json!({"name": "k", "roles": [], "jwks": jwks}))
                .await;
            assert_problem(&res, 422);
            assert_eq!(res.body["field"], "jwks", "{case}: {:?}", res.body);
        }
        let res = admin
            .post(
                &clients,
                json!({"name": "k", "roles": [], "token_endpoint_auth_method": "private_key_jwt"}),
            )
            .await;
        assert_problem(&res, 422);
        let res = admin
            .post(
                &clients,
                json!({"name": "k", "roles": [], "jwks_uri": "http://keys.example.com/jwks"}),
            )
            .await;
        assert_problem(&res, 422);

        // A secret client becomes a key client: its secret stops at once, it has nothing to
        // rotate; back to a secret client, a rotation gives it a new secret.
        let (id, secret) = admin.create_client(&org, "switcher", &[]).await;
        let client = format!("{clients}/{id}");
        let switched = admin
            .patch(
                &client,
                json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks(&[&es])}),
            )
            .await;
        assert_eq!(switched.status, 200, "{:?}", switched.body);
        assert_eq!(switched.body["secret_hint"], "");
        assert_eq!(app.token_basic(&id, &secret, &[]).await.status(), 401);
        body_token(app, &es, &id).await;
        assert_problem(
            &admin.post(&format!("{client}/secret"), json!({})).await,
            422,
        );

        let back = admin
            .patch(
                &client,
                json!({"token_endpoint_auth_method": "client_secret_basic"}),
            )
            .await;
        assert_eq!(
            (
                back.body["token_endpoint_auth_method"].as_str(),
                &back.body["jwks"]
            ),
            (Some("client_secret_basic"), &Value::Null)
        );
        let (status, _) = token_by_assertion(
            app,
            Some(&id),
            &sign(&es, json!({}), claims(&id, &app.config.issuer)),
        )
        .await;
        assert_eq!(status, 401, "keys no longer authenticate it");
        let rotated = admin.post(&format!("{client}/secret"), json!({})).await;
        let new_secret = rotated.body["client_secret"].as_str().unwrap();
        assert_eq!(app.token_basic(&id, new_secret, &[]).await.status(), 200);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assertion_used_on_one_instance_is_refused_on_another() {
    if !crate::common::postgres_available() {
        return;
    }
    let db = TestDatabase::create(Backend::Postgres);
    let keys = tempfile::tempdir().unwrap();
    let config = test_config(&db, keys.path().to_owned());
    let a = spawn_with(config.clone()).await;
    let b = spawn_with(config).await;
    let admin = a.platform_admin().await;
    let es = key(SigningAlg::Es256);
    let created = admin
        .post(
            &format!("/organizations/{}/clients", a.org_id),
            json!({"name": "signer", "roles": [], "jwks": jwks(&[&es])}),
        )
        .await;
    let id = created.body["client_id"].as_str().unwrap().to_owned();
    let assertion = sign(&es, json!({}), claims(&id, &a.config.issuer));
    assert_eq!(token_by_assertion(&a, Some(&id), &assertion).await.0, 200);
    let (status, body) = token_by_assertion(&b, Some(&id), &assertion).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body["error_description"],
        "the client assertion was already used (jti)"
    );
    // A fresh one works there.
    let fresh = sign(&es, json!({}), claims(&id, &b.config.issuer));
    assert_eq!(token_by_assertion(&b, Some(&id), &fresh).await.0, 200);
}

/// An assertion is accepted up to 30 s past its `exp` (clock skew); its `jti` is remembered
/// longer than that, so it cannot be replayed in that window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assertion_cannot_be_replayed_after_its_exp() {
    let s = spawn_app(Backend::Sqlite).await;
    let app = &s;
    let admin = app.platform_admin().await;
    let es = key(SigningAlg::Es256);
    let created = admin
        .post(
            &format!("/organizations/{}/clients", app.org_id),
            json!({"name": "signer", "roles": [], "jwks": jwks(&[&es])}),
        )
        .await;
    let id = created.body["client_id"].as_str().unwrap().to_owned();
    let mut short = claims(&id, &app.config.issuer);
    short["exp"] = json!(now() + 1);
    let assertion = sign(&es, json!({}), short);
    assert_eq!(token_by_assertion(app, Some(&id), &assertion).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    // Past its exp, within the leeway: still known, still refused.
    for _ in 0..3 {
        let (status, body) = token_by_assertion(app, Some(&id), &assertion).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(
            body["error_description"],
            "the client assertion was already used (jti)"
        );
    }
}

/// A busy key client: many concurrent requests from one host, each with its own assertion, are
/// all answered (the brute-force limiter counts failures, not a key client's requests in
/// flight).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_key_client_is_not_held_back() {
    let s = spawn_app(Backend::Sqlite).await;
    let app = &s;
    let admin = app.platform_admin().await;
    let es = key(SigningAlg::Es256);
    let created = admin
        .post(
            &format!("/organizations/{}/clients", app.org_id),
            json!({"name": "busy", "roles": [], "jwks": jwks(&[&es])}),
        )
        .await;
    let id = created.body["client_id"].as_str().unwrap().to_owned();
    let assertions: Vec<String> = (0..64)
        .map(|_| sign(&es, json!({}), claims(&id, &app.config.issuer)))
        .collect();
    let statuses = futures_util::future::join_all(
        assertions
            .iter()
            .map(|a| token_by_assertion(app, Some(&id), a)),
    )
    .await;
    let statuses: Vec<u16> = statuses.into_iter().map(|(status, _)| status).collect();
    assert_eq!(statuses, vec![200; 64]);
}

/// A client that publishes its keys at a `jwks_uri`: orgauth fetches them (under the remote
/// key rules) and accepts assertions they verify, one key rotation included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_publishing_its_keys_at_a_jwks_uri() {
    let s =
        crate::common::spawn_app_with(Backend::Sqlite, |c| c.allow_loopback_issuers = true).await;
    let app = &s;
    let admin = app.platform_admin().await;
    let es = key(SigningAlg::Es256);
    let published = crate::common::issuer::start_issuer(jwks(&[&es])).await;
    let created = admin
        .post(
            &format!("/organizations/{}/clients", app.org_id),
            json!({"name": "publisher", "roles": [], "jwks_uri": format!("{}/keys", published.url)}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(
        created.body["token_endpoint_auth_method"],
        "private_key_jwt"
    );
    assert!(created.body.get("client_secret").is_none());
    let id = created.body["client_id"].as_str().unwrap().to_owned();
    let (status, body) = token_by_assertion(
        app,
        Some(&id),
        &sign(&es, json!({}), claims(&id, &app.config.issuer)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let stranger = key(SigningAlg::Es256);
    let (status, _) = token_by_assertion(
        app,
        Some(&id),
        &sign(&stranger, json!({}), claims(&id, &app.config.issuer)),
    )
    .await;
    assert_eq!(status, 401);
    // Both at once is a mistake, named.
    let res = admin
        .post(
            &format!("/organizations/{}/clients", app.org_id),
            json!({"name": "both", "roles": [], "jwks": jwks(&[&es]), "jwks_uri": format!("{}/keys", published.url)}),
        )
        .await;
    assert_problem(&res, 422);
    assert_eq!(res.body["field"], "jwks_uri");
}
