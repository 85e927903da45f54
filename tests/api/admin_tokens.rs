//! Which bearer tokens open the admin API: only genuine, unexpired tokens of this server,
//! issued for the admin API itself.

use crate::common::{Backend, spawn_app};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

on_both_backends!(
    forged_and_malformed_tokens_are_refused,
    |backend: Backend| async move {
        let s = spawn_app(backend).await;
        let app = &s;
        let real = app.access_token(&app.admin_id, app.admin_secret()).await;
        let parts: Vec<&str> = real.split('.').collect();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());

        // Same claims, signed by a key of our own making (same kid).
        let other = tempfile::tempdir().unwrap();
        orgauth::token::generate_key(other.path(), orgauth::token::SigningAlg::Es256).unwrap();
        let other_keys = std::sync::Arc::new(orgauth::token::KeySet::load(other.path()).unwrap());
        let foreign = orgauth::token::TokenIssuer::new(
            other_keys,
            "http://orgauth.test".into(),
            std::time::Duration::from_secs(60),
        )
        .issue(
            &app.admin_id,
            &app.org_id,
            "http://orgauth.test",
            &["platform:admin".into(), "org:admin".into()],
        );
        let foreign_parts: Vec<&str> = foreign.access_token.split('.').collect();
        let foreign_same_kid = format!("{}.{}.{}", parts[0], foreign_parts[1], foreign_parts[2]);

        // Algorithm confusion: HS256 keyed with our public JWK, and alg "none".
        let mut hs = header.clone();
        hs["alg"] = json!("HS256");
        let jwk = app.jwks().await.keys[0].clone();
        let hs_input = format!("{}.{}", enc(&hs), parts[1]);
        let hs_sig = jsonwebtoken::crypto::sign(
            hs_input.as_bytes(),
            &jsonwebtoken::EncodingKey::from_secret(
                serde_json::to_string(&jwk).unwrap().as_bytes(),
            ),
            jsonwebtoken::Algorithm::HS256,
        )
        .unwrap();
        let mut none = header.clone();
        none["alg"] = json!("none");

        // Tampered claims (widened roles) with the original signature.
        let mut widened = claims.clone();
        widened["org_id"] = json!("org_someoneelse");
        let mut expired = claims.clone();
        expired["exp"] = json!(1);
        let mut wrong_typ = header.clone();
        wrong_typ["typ"] = json!("JWT");

        let bad_tokens = vec![
            foreign.access_token.clone(),
            foreign_same_kid,
            format!("{hs_input}.{hs_sig}"),
            format!("{}.{}.", enc(&none), parts[1]),
            format!("{}.{}.{}", parts[0], enc(&widened), parts[2]),
            format!("{}.{}.{}", parts[0], enc(&expired), parts[2]),
            format!("{}.{}.{}", enc(&wrong_typ), parts[1], parts[2]),
            "not-a-jwt".into(),
            "a.b.c".into(),
        ];
        for token in bad_tokens {
            let res = app.get_bearer("/admin/v1/roles", &token).await;
            assert_eq!(res.status(), 401, "token {token}");
            assert_eq!(res.headers()["content-type"], "application/problem+json");
        }
        for header in ["Basic abc", "Bearer", "bearer  "] {
            let res = app
                .http
                .get(app.url("/admin/v1/roles"))
                .header("authorization", header)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401, "{header}");
        }
        // The genuine token works.
        let res = app.get_bearer("/admin/v1/roles", &real).await;
        assert_eq!(res.status(), 200);
    }
);

on_both_backends!(
    the_admin_api_accepts_only_tokens_issued_for_it,
    |backend: Backend| async move {
        let s = crate::common::spawn_app_with(backend, |c| {
            c.audiences = vec![
                "https://payments.example.com".into(),
                "https://reports.example.com".into(),
            ];
        })
        .await;
        let app = &s;
        let (id, secret) = (app.admin_id.as_str(), app.admin_secret());
        let roles = |token: String| async move {
            app.get_bearer("/admin/v1/roles", &token)
                .await
                .status()
                .as_u16()
        };
        let token_with = |extra: Vec<(&'static str, String)>| async move {
            let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app.token_basic(id, secret, &extra).await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (status, body)
        };

        // The default audience stays the first configured one, and does not open the API.
        let (status, default) = token_with(vec![]).await;
        assert_eq!(status, 200);
        let token = default["access_token"].as_str().unwrap().to_owned();
        let (_, claims) = app.verify(&token, "https://payments.example.com").await;
        assert_eq!(claims.aud, "https://payments.example.com");
        assert_eq!(roles(token).await, 401);
        let (_, reports) =
            token_with(vec![("resource", "https://reports.example.com".into())]).await;
        assert_eq!(
            roles(reports["access_token"].as_str().unwrap().into()).await,
            401
        );

        // The issuer is always an allowed audience, by `audience` or `resource`.
        let issuer = app.config.issuer.clone();
        for param in ["audience", "resource"] {
            let (status, body) = token_with(vec![(param, issuer.clone())]).await;
            assert_eq!(status, 200, "{param}: {body}");
            assert_eq!(
                roles(body["access_token"].as_str().unwrap().into()).await,
                200
            );
        }
        // Anything else is still invalid_target.
        let (status, body) =
            token_with(vec![("audience", "https://evil.example.com".into())]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_target"))
        );
    }
);
