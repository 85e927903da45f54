//! `POST /oauth/token`: the client credentials grant, end to end over HTTP.

use crate::common::{Backend, raw_header, spawn_app, spawn_app_with};
use orgauth::domain::{ClientId, ClientSecret, NewClientSecret};
use serde_json::Value;

async fn error_of(res: reqwest::Response) -> (u16, String, Value) {
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    (status, challenge, res.json().await.unwrap())
}

fn code(body: &Value) -> &str {
    body["error"].as_str().unwrap()
}

on_both_backends!(
    basic_auth_issues_a_jwt_that_verifies_against_the_jwks,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let res = app
            .token_basic(&app.admin_id, app.admin_secret(), &[])
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.headers()["pragma"], "no-cache");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["scope"], "org:admin platform:admin");

        let token = body["access_token"].as_str().unwrap();
        let header = raw_header(token);
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(header["alg"], "ES256");
        let jwks = app.jwks().await;
        assert_eq!(header["kid"], jwks.keys[0].common.key_id.clone().unwrap());

        let (_, claims) = app.verify(token, "http://orgauth.test").await;
        assert_eq!(claims.iss, "http://orgauth.test");
        assert_eq!(claims.sub, app.admin_id);
        assert_eq!(claims.client_id, app.admin_id);
        assert_eq!(
            claims.aud, "http://orgauth.test",
            "without audiences the issuer is the aud"
        );
        assert_eq!(claims.org_id, app.org_id);
        assert_eq!(claims.exp - claims.iat, 3600);
        assert_eq!(claims.nbf, claims.iat);
        assert!((claims.iat - chrono::Utc::now().timestamp()).abs() < 60);
        assert_eq!(claims.scope, "org:admin platform:admin");
        assert_eq!(claims.roles, ["org:admin", "platform:admin"]);
        assert!(claims.jti.len() >= 16);

        // Every token has its own jti.
        let again: Value = app
            .token_basic(&app.admin_id, app.admin_secret(), &[])
            .await
            .json()
            .await
            .unwrap();
        let (_, claims2) = app.verify_issued(&again).await;
        assert_ne!(claims.jti, claims2.jti);
    }
);

on_both_backends!(
    client_secret_post_issues_a_token,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let res = app.token_post(&app.admin_id, app.admin_secret(), &[]).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let (_, claims) = app.verify_issued(&body).await;
        assert_eq!(claims.client_id, app.admin_id);
    }
);

on_both_backends!(
    basic_credentials_are_form_url_decoded_before_use,
    |backend: Backend| async move {
        let secret = NewClientSecret::generate().into_plaintext();
        let s = spawn_app_with(backend, |c| {
            c.bootstrap_client_id = Some(ClientId::parse("ci.deploy-bot").unwrap());
            c.bootstrap_client_secret = Some(ClientSecret::parse(&secret).unwrap());
        })
        .await;
        let app = &s;
        // RFC 6749 §2.3.1: a client may form-url-encode every reserved character.
        let res = app.token_basic("ci%2Edeploy%2Dbot", &secret, &[]).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let (_, claims) = app.verify_issued(&body).await;
        assert_eq!(claims.client_id, "ci.deploy-bot");
    }
);

on_both_backends!(
    unknown_client_and_wrong_secret_get_the_same_answer,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let wrong = NewClientSecret::generate().into_plaintext();
        let unknown = error_of(app.token_basic("no-such-client", &wrong, &[]).await).await;
        let wrong_secret = error_of(app.token_basic(&app.admin_id, &wrong, &[]).await).await;
        assert_eq!(unknown, wrong_secret);
        assert_eq!(unknown.0, 401);
        assert_eq!(unknown.1, r#"Basic realm="orgauth""#);
        assert_eq!(code(&unknown.2), "invalid_client");

        // client_secret_post: the same error, without a Basic challenge.
        let (status, challenge, body) =
            error_of(app.token_post(&app.admin_id, &wrong, &[]).await).await;
        assert_eq!(
            (status, challenge.as_str(), code(&body)),
            (401, "", "invalid_client")
        );
    }
);

on_both_backends!(
    secrets_failing_format_or_checksum_are_invalid_client,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let real = app.admin_secret().to_owned();
        let mut flipped = real.clone().into_bytes();
        flipped[20] = if flipped[20] == b'a' { b'b' } else { b'a' };
        let flipped = String::from_utf8(flipped).unwrap();
        for bad in [
            flipped.as_str(),
            "hunter2",
            &real[..52],
            &format!("{real}x"),
        ] {
            let (status, _, body) = error_of(app.token_basic(&app.admin_id, bad, &[]).await).await;
            assert_eq!(
                (status, code(&body)),
                (401, "invalid_client"),
                "secret {bad:?}"
            );
        }
        // A malformed client id is refused the same way.
        let (status, _, body) = error_of(app.token_basic("bad id!", &real, &[]).await).await;
        assert_eq!((status, code(&body)), (401, "invalid_client"));
    }
);

on_both_backends!(
    missing_or_doubled_client_authentication_is_refused,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let none = app
            .post_raw(
                "/oauth/token",
                "application/x-www-form-urlencoded",
                "grant_type=client_credentials",
            )
            .await;
        let (status, challenge, body) = error_of(none).await;
        assert_eq!((status, code(&body)), (401, "invalid_client"));
        assert_eq!(challenge, "");

        let both = app
            .http
            .post(app.url("/oauth/token"))
            .basic_auth(&app.admin_id, Some(app.admin_secret()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &app.admin_id),
                ("client_secret", app.admin_secret()),
            ])
            .send()
            .await
            .unwrap();
        let (status, _, body) = error_of(both).await;
        assert_eq!((status, code(&body)), (400, "invalid_request"));

        // Only a body secret, no id.
        let res = app
            .post_raw(
                "/oauth/token",
                "application/x-www-form-urlencoded",
                format!(
                    "grant_type=client_credentials&client_secret={}",
                    app.admin_secret()
                ),
            )
            .await;
        let (status, _, body) = error_of(res).await;
        assert_eq!((status, code(&body)), (401, "invalid_client"));
    }
);

on_both_backends!(
    malformed_requests_get_rfc6749_errors,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let form = "application/x-www-form-urlencoded";
        let auth = format!(
            "client_id={}&client_secret={}",
            app.admin_id,
            app.admin_secret()
        );

        let cases: Vec<(String, &str, u16, &str)> = vec![
            (auth.clone(), form, 400, "invalid_request"),
            (
                format!("grant_type=password&{auth}"),
                form,
                400,
                "unsupported_grant_type",
            ),
            (
                format!("grant_type=authorization_code&{auth}"),
                form,
                400,
                "unsupported_grant_type",
            ),
            (
                format!("grant_type=client_credentials&grant_type=client_credentials&{auth}"),
                form,
                400,
                "invalid_request",
            ),
            (
                format!("grant_type=client_credentials&scope=a&scope=b&{auth}"),
                form,
                400,
                "invalid_request",
            ),
            (
                format!("grant_type=client_credentials&scope=%FF&{auth}"),
                form,
                400,
                "invalid_request",
            ),
            (
                format!("grant_type=client_credentials&{auth}"),
                "application/json",
                400,
                "invalid_request",
            ),
            (
                format!("grant_type=client_credentials&{auth}"),
                "text/plain",
                400,
                "invalid_request",
            ),
            (
                r#"{"grant_type":"client_credentials"}"#.to_owned(),
                "application/json",
                400,
                "invalid_request",
            ),
        ];
        for (body, content_type, status, error) in cases {
            let res = app
                .post_raw("/oauth/token", content_type, body.clone())
                .await;
            let (got_status, _, got) = error_of(res).await;
            assert_eq!(
                (got_status, code(&got)),
                (status, error),
                "body {body:?} as {content_type}"
            );
            assert!(
                got["error_description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty())
            );
        }

        // The charset parameter is allowed on the content type.
        let res = app
            .post_raw(
                "/oauth/token",
                "application/x-www-form-urlencoded; charset=UTF-8",
                format!("grant_type=client_credentials&{auth}"),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
);

on_both_backends!(
    oversized_bodies_are_refused_with_413,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let body = format!(
            "grant_type=client_credentials&padding={}",
            "a".repeat(64 * 1024)
        );
        let res = app
            .post_raw("/oauth/token", "application/x-www-form-urlencoded", body)
            .await;
        let (status, _, body) = error_of(res).await;
        assert_eq!((status, code(&body)), (413, "invalid_request"));
        // The server is still fine afterwards.
        assert_eq!(
            app.token_basic(&app.admin_id, app.admin_secret(), &[])
                .await
                .status(),
            200
        );
    }
);

on_both_backends!(
    other_methods_are_not_allowed,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let res = s.get("/oauth/token").await;
        assert_eq!(res.status(), 405);
    }
);

on_both_backends!(
    requested_scope_narrows_the_token_to_held_roles,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        app.add_roles(&["billing:read", "billing:write", "reports:read"]);
        let (id, secret) = app.create_client(&["billing:read", "billing:write"]);

        let all: Value = app
            .token_basic(&id, &secret, &[])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(all["scope"], "billing:read billing:write");

        let res = app
            .token_basic(&id, &secret, &[("scope", "billing:read")])
            .await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["scope"], "billing:read");
        let (_, claims) = app.verify_issued(&body).await;
        assert_eq!(claims.scope, "billing:read");
        assert_eq!(
            claims.roles,
            ["billing:read"],
            "a narrowed token carries only the granted roles"
        );

        // A role in the catalog that the client does not hold, one that does not exist, and an
        // admin role: each is invalid_scope, and nothing is issued.
        for scope in [
            "reports:read",
            "billing:read reports:read",
            "nope",
            "platform:admin",
            "bad\"scope",
        ] {
            let (status, _, body) =
                error_of(app.token_basic(&id, &secret, &[("scope", scope)]).await).await;
            assert_eq!(
                (status, code(&body)),
                (400, "invalid_scope"),
                "scope {scope:?}"
            );
        }
    }
);

on_both_backends!(
    audience_and_resource_select_a_configured_audience,
    |backend: Backend| async move {
        let s = spawn_app_with(backend, |c| {
            c.audiences = vec![
                "https://api.example.com".into(),
                "https://billing.example.com".into(),
            ];
        })
        .await;
        let app = &s;
        let aud_of = |body: Value| body["access_token"].as_str().unwrap().to_owned();

        let default: Value = app
            .token_basic(&app.admin_id, app.admin_secret(), &[])
            .await
            .json()
            .await
            .unwrap();
        let (_, claims) = app
            .verify(&aud_of(default), "https://api.example.com")
            .await;
        assert_eq!(claims.aud, "https://api.example.com");

        for param in ["audience", "resource"] {
            let res = app
                .token_basic(
                    &app.admin_id,
                    app.admin_secret(),
                    &[(param, "https://billing.example.com")],
                )
                .await;
            assert_eq!(res.status(), 200, "{param}");
            let (_, claims) = app
                .verify(
                    &aud_of(res.json().await.unwrap()),
                    "https://billing.example.com",
                )
                .await;
            assert_eq!(claims.aud, "https://billing.example.com");

            let (status, _, body) = error_of(
                app.token_basic(
                    &app.admin_id,
                    app.admin_secret(),
                    &[(param, "https://evil.example.com")],
                )
                .await,
            )
            .await;
            assert_eq!((status, code(&body)), (400, "invalid_target"), "{param}");
        }
    }
);

on_both_backends!(
    other_signing_algorithms_verify_against_the_jwks,
    |backend: Backend| async move {
        for alg in [
            orgauth::token::SigningAlg::Rs256,
            orgauth::token::SigningAlg::EdDsa,
        ] {
            let s = spawn_app_with(backend, |c| c.signing_alg = alg).await;
            let app = &s;
            let body: Value = app
                .token_basic(&app.admin_id, app.admin_secret(), &[])
                .await
                .json()
                .await
                .unwrap();
            let token = body["access_token"].as_str().unwrap();
            assert_eq!(raw_header(token)["alg"], alg.as_str());
            let (_, claims) = app.verify(token, "http://orgauth.test").await;
            assert_eq!(claims.client_id, app.admin_id);
        }
    }
);

on_both_backends!(
    bad_percent_encoding_in_basic_credentials_is_invalid_request,
    |backend: Backend| async move {
        use base64::Engine;
        let s = spawn_app(backend).await;
        let app = &s;
        for credentials in ["client:%zz", "client%4:secret", "client:%"] {
            let header = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            );
            let res = app
                .http
                .post(app.url("/oauth/token"))
                .header("authorization", header)
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
            let (status, _, body) = error_of(res).await;
            assert_eq!(
                (status, code(&body)),
                (400, "invalid_request"),
                "{credentials}"
            );
        }
    }
);
