//! RFC 8414 metadata, the JWK set, and signing-key rotation across restarts.

use crate::common::{Backend, TestDatabase, raw_header, spawn_with, test_config, verify_with};
use serde_json::Value;

on_both_backends!(
    metadata_describes_the_server,
    |backend: Backend| async move {
        let s = crate::common::spawn_app(backend).await;
        let app = &s;
        app.add_roles(&["billing:read"]);
        let res = app.get("/.well-known/oauth-authorization-server").await;
        assert_eq!(res.status(), 200);
        let meta: Value = res.json().await.unwrap();
        assert_eq!(meta["issuer"], "http://orgauth.test");
        assert_eq!(meta["token_endpoint"], "http://orgauth.test/oauth/token");
        assert_eq!(
            meta["jwks_uri"],
            "http://orgauth.test/.well-known/jwks.json"
        );
        assert_eq!(
            meta["introspection_endpoint"],
            "http://orgauth.test/oauth/introspect"
        );
        assert_eq!(
            meta["revocation_endpoint"],
            "http://orgauth.test/oauth/revoke"
        );
        assert_eq!(
            meta["grant_types_supported"],
            serde_json::json!(["client_credentials"])
        );
        assert_eq!(
            meta["token_endpoint_auth_methods_supported"],
            serde_json::json!(["client_secret_basic", "client_secret_post"])
        );
        // The role catalog, including a role added at run time.
        assert_eq!(
            meta["scopes_supported"],
            serde_json::json!(["billing:read", "org:admin", "platform:admin"])
        );
    }
);

on_both_backends!(
    jwks_publishes_public_keys_only,
    |backend: Backend| async move {
        let s = crate::common::spawn_app(backend).await;
        let res = s.get("/.well-known/jwks.json").await;
        assert_eq!(res.status(), 200);
        let jwks: Value = res.json().await.unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        let key = &keys[0];
        assert_eq!(
            (
                key["kty"].as_str(),
                key["crv"].as_str(),
                key["alg"].as_str()
            ),
            (Some("EC"), Some("P-256"), Some("ES256"))
        );
        assert_eq!(key["use"], "sig");
        assert!(
            key.get("d").is_none(),
            "the private scalar must never be published"
        );
    }
);

on_both_backends!(
    keys_generate_then_restart_keeps_old_tokens_valid,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let config = test_config(&db, keys.path().to_owned());

        let first = spawn_with(config.clone()).await;
        let (admin_id, admin_secret) = (first.admin_id.clone(), first.admin_secret().to_owned());
        let old: Value = first
            .token_basic(&admin_id, &admin_secret, &[])
            .await
            .json()
            .await
            .unwrap();
        let old_token = old["access_token"].as_str().unwrap().to_owned();
        let old_kid = raw_header(&old_token)["kid"].as_str().unwrap().to_owned();
        first.stop();

        // `orgauth keys generate --alg EdDSA`, as an operator would run it.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_orgauth"))
            .args(["keys", "generate", "--alg", "EdDSA"])
            .env("ORGAUTH_KEYS_DIR", keys.path())
            .env("DATABASE_URL", &db.url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        let second = spawn_with(config).await;
        assert!(
            second.admin_secret.is_none(),
            "a restart bootstraps nothing"
        );
        let jwks = second.jwks().await;
        assert_eq!(jwks.keys.len(), 2);
        let new: Value = second
            .token_basic(&admin_id, &admin_secret, &[])
            .await
            .json()
            .await
            .unwrap();
        let new_token = new["access_token"].as_str().unwrap();
        let header = raw_header(new_token);
        assert_eq!(header["alg"], "EdDSA");
        assert_ne!(header["kid"].as_str().unwrap(), old_kid);
        // Both verify against the JWKS served after the rotation.
        verify_with(
            &jwks,
            new_token,
            "http://orgauth.test",
            "http://orgauth.test",
        );
        verify_with(
            &jwks,
            &old_token,
            "http://orgauth.test",
            "http://orgauth.test",
        );
    }
);
