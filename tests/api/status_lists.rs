//! Token Status Lists (SPEC §11): every access token names its bit; the list is a signed
//! `statuslist+jwt` whose bits follow every reason introspection refuses a token, on every
//! instance within a second; no index is ever given to two tokens.

use std::io::Read;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestDatabase, spawn_app, spawn_with, test_config};

/// The token's `status.status_list` (idx, uri).
pub(crate) fn status_of(token: &str) -> (i64, String) {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let list = &claims["status"]["status_list"];
    (
        list["idx"].as_i64().expect("an integer idx"),
        list["uri"].as_str().expect("a uri").to_owned(),
    )
}

/// The list at `uri` from `app`: its claims after the signature is checked against the JWKS,
/// and its bits.
pub(crate) async fn fetch_list(
    app: &TestApp,
    uri: &str,
) -> (reqwest::header::HeaderMap, Value, Vec<u8>) {
    let path = uri
        .strip_prefix(&app.config.issuer)
        .expect("this issuer's list");
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    let headers = res.headers().clone();
    let jwt = res.text().await.unwrap();
    let jwks: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert_eq!(header.typ.as_deref(), Some("statuslist+jwt"));
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("signed by a published key");
    let mut validation = Validation::new(header.alg);
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "iat", "sub"]);
    let claims =
        jsonwebtoken::decode::<Value>(&jwt, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .expect("the list's signature verifies")
            .claims;
    assert_eq!(claims["status_list"]["bits"], 1);
    let compressed = URL_SAFE_NO_PAD
        .decode(claims["status_list"]["lst"].as_str().unwrap())
        .unwrap();
    let mut bits = Vec::new();
    flate2::read::ZlibDecoder::new(&compressed[..])
        .read_to_end(&mut bits)
        .expect("ZLIB");
    (headers, claims, bits)
}

pub(crate) fn bit(bits: &[u8], idx: i64) -> u8 {
    let idx = usize::try_from(idx).unwrap();
    (bits[idx / 8] >> (idx % 8)) & 1
}

/// Polls `app`'s list until the token's bit is `want`; how long that took (at most 3 s).
async fn bit_becomes(app: &TestApp, token: &str, want: u8) -> Duration {
    let (idx, uri) = status_of(token);
    let started = Instant::now();
    loop {
        let (_, _, bits) = fetch_list(app, &uri).await;
        if bit(&bits, idx) == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "bit {idx} of {uri} stayed {} on {}",
            bit(&bits, idx),
            app.base_url
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

on_both_backends!(
    every_token_names_its_bit_in_a_signed_list,
    |backend| async move {
        let app = spawn_app(backend).await;
        let admin = app.platform_admin().await;
        let (id, secret) = admin.create_client(&app.org_id, "svc", &[]).await;
        let first = app.access_token(&id, &secret).await;
        let second = app.access_token(&id, &secret).await;
        let (idx, uri) = status_of(&first);
        assert_ne!(status_of(&second).0, idx, "one index per token");
        assert!(
            uri.starts_with(&format!("{}/statuslists/", app.config.issuer)),
            "{uri}"
        );

        bit_becomes(&app, &first, 0).await;
        let (headers, claims, bits) = fetch_list(&app, &uri).await;
        assert_eq!(headers["content-type"], "application/statuslist+jwt");
        assert_eq!(headers["cache-control"], "public, max-age=5");
        assert_eq!(claims["sub"], uri.as_str());
        assert_eq!(claims["ttl"], 5);
        assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
        assert_eq!(bit(&bits, idx), 0, "a fresh token is valid");

        // Cached by its entity tag.
        let path = uri.strip_prefix(&app.config.issuer).unwrap();
        let etag = headers["etag"].to_str().unwrap();
        let again = app
            .http
            .get(app.url(path))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);

        // The metadata names the aggregation endpoint, which lists it.
        let metadata: Value = app
            .get("/.well-known/oauth-authorization-server")
            .await
            .json()
            .await
            .unwrap();
        let aggregation = metadata["status_list_aggregation_endpoint"]
            .as_str()
            .unwrap();
        assert_eq!(aggregation, format!("{}/statuslists", app.config.issuer));
        let listed: Value = app.get("/statuslists").await.json().await.unwrap();
        assert!(
            listed["status_lists"]
                .as_array()
                .unwrap()
                .contains(&json!(uri))
        );
        assert_eq!(app.get("/statuslists/nosuchlist").await.status(), 404);
    }
);

on_both_backends!(
    a_bit_is_set_for_each_reason_introspection_refuses_a_token,
    |backend| async move {
        let app = spawn_app(backend).await;
        let admin = app.platform_admin().await;
        admin.create_role("reports:read").await;
        let org = app.org_id.clone();
        let client = |name: &'static str| {
            let admin = &admin;
            let org = org.clone();
            async move { admin.create_client(&org, name, &["reports:read"]).await }
        };
        let (kept_id, kept_secret) = client("kept").await;
        let kept = app.access_token(&kept_id, &kept_secret).await;

        // Revoked by itself (RFC 7009).
        let (id, secret) = client("revoked").await;
        let revoked = app.access_token(&id, &secret).await;
        let res = app
            .http
            .post(app.url("/oauth/revoke"))
            .basic_auth(&id, Some(&secret))
            .form(&[("token", revoked.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        // Its client deleted.
        let (id, secret) = client("deleted").await;
        let deleted = app.access_token(&id, &secret).await;
        assert_eq!(
            admin
                .delete(&format!("/organizations/{org}/clients/{id}"))
                .await
                .status,
            204
        );
        // Its client disabled.
        let (id, secret) = client("disabled").await;
        let disabled = app.access_token(&id, &secret).await;
        let res = admin
            .patch(
                &format!("/organizations/{org}/clients/{id}"),
                json!({"disabled": true}),
            )
            .await;
        assert_eq!(res.status, 200, "{:?}", res.body);
        // Issued before its client's tokens were revoked.
        let (cut_id, cut_secret) = client("cut-off").await;
        let cut_off = app.access_token(&cut_id, &cut_secret).await;
        let res = admin
            .post(
                &format!("/organizations/{org}/clients/{cut_id}/revoke-tokens"),
                json!({}),
            )
            .await;
        assert!(res.status < 300, "{:?}", res.body);
        // Claiming a role its client no longer holds.
        let (id, secret) = client("narrowed").await;
        let narrowed = app.access_token(&id, &secret).await;
        let res = admin
            .patch(
                &format!("/organizations/{org}/clients/{id}"),
                json!({"roles": []}),
            )
            .await;
        assert_eq!(res.status, 200, "{:?}", res.body);

        for (what, token) in [
            ("revoked", &revoked),
            ("client deleted", &deleted),
            ("client disabled", &disabled),
            ("revoke-tokens", &cut_off),
            ("role removed", &narrowed),
        ] {
            let took = bit_becomes(&app, token, 1).await;
            assert!(took < Duration::from_millis(1500), "{what}: {took:?}");
            let introspected: Value = app
                .http
                .post(app.url("/oauth/introspect"))
                .basic_auth(&kept_id, Some(&kept_secret))
                .form(&[("token", token.as_str())])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if what == "role removed" {
                // SPEC §3: introspection keeps it active without the role; §11: its bit is set.
                assert_eq!(introspected["roles"], json!([]), "{what}: {introspected}");
            } else {
                assert_eq!(
                    introspected["active"], false,
                    "{what}: introspection agrees"
                );
            }
        }
        let (_, uri) = status_of(&kept);
        let (_, _, bits) = fetch_list(&app, &uri).await;
        assert_eq!(
            bit(&bits, status_of(&kept).0),
            0,
            "an untouched token stays valid"
        );
        // A token issued after the cut-off is valid.
        let after = app.access_token(&cut_id, &cut_secret).await;
        bit_becomes(&app, &after, 0).await;
    }
);

on_both_backends!(
    every_instance_serves_the_same_bits_and_no_index_twice,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let config = test_config(&db, keys.path().to_owned());
        let a = spawn_with(config.clone()).await;
        let b = spawn_with(config.clone()).await;
        let admin = a.platform_admin().await;
        let (id, secret) = admin.create_client(&a.org_id, "svc", &[]).await;
        let (other, other_secret) = admin.create_client(&a.org_id, "svc2", &[]).await;
        let mut seen = std::collections::HashSet::new();
        let mut tokens = Vec::new();
        for i in 0..40 {
            let app = if i % 2 == 0 { &a } else { &b };
            let token = app.access_token(&id, &secret).await;
            assert!(seen.insert(status_of(&token)), "an index given twice");
            tokens.push(token);
        }
        // Disabled through b: a's list says so within a second, and b's.
        let through_b = crate::common::admin::AdminApi {
            app: &b,
            token: admin.token.clone(),
            seen: Default::default(),
            session: None,
        };
        let res = through_b
            .patch(
                &format!("/organizations/{}/clients/{id}", a.org_id),
                json!({"disabled": true}),
            )
            .await;
        assert_eq!(res.status, 200);
        for token in [&tokens[0], &tokens[1]] {
            for app in [&a, &b] {
                let took = bit_becomes(app, token, 1).await;
                assert!(took < Duration::from_millis(1500), "{took:?}");
            }
        }
        // A restarted instance never hands out an index given before.
        drop(admin);
        a.stop_gracefully().await;
        let c = spawn_with(config).await;
        for _ in 0..10 {
            let token = c.access_token(&other, &other_secret).await;
            assert!(
                seen.insert(status_of(&token)),
                "an index given again after a restart"
            );
        }
    }
);
