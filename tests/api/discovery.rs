//! RFC 8414 metadata, the JWK set, and signing-key rotation on running instances.

use std::time::{Duration, Instant};

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
            serde_json::json!([
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt"
            ])
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
    keys_rotate_across_instances_restarted_one_by_one_without_a_failed_verification,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let mut config = test_config(&db, keys.path().to_owned());
        // Test-sized: a resource server caches the JWKS for 1.5 s; a next key is published
        // 3 s before it signs (in production: max-age 300 s + 60 s).
        let max_age = Duration::from_millis(1500);
        config.key_activation_delay = Duration::from_secs(3);
        let mut apps = Vec::new();
        for _ in 0..3 {
            apps.push(spawn_with(config.clone()).await);
        }
        let (id, secret) = (apps[0].admin_id.clone(), apps[0].admin_secret().to_owned());
        let old_kid = raw_header(&apps[0].access_token(&id, &secret).await)["kid"]
            .as_str()
            .unwrap()
            .to_owned();

        // `orgauth keys rotate --alg EdDSA`, as an operator would run it, beside the servers.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_orgauth"))
            .args(["keys", "rotate", "--alg", "EdDSA"])
            .env("ORGAUTH_KEYS_DIR", keys.path())
            .env("DATABASE_URL", &db.url)
            .env("ORGAUTH_KEY_ACTIVATION_DELAY_SECONDS", "3")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        // Tokens from every instance, round robin, while the instances are restarted one by
        // one, each verified by a resource server that refreshes its cached JWKS only when it
        // is max-age old: not one request may fail and not one token may fail to verify.
        let mut cache = (apps[0].jwks().await, Instant::now());
        let (mut verified, mut kids) = (0, std::collections::BTreeSet::new());
        let started = Instant::now();
        let mut restarted = 0;
        while started.elapsed() < Duration::from_secs(6) {
            if restarted < 3 && started.elapsed() >= Duration::from_secs(1 + restarted as u64) {
                let old = std::mem::replace(&mut apps[restarted], spawn_with(config.clone()).await);
                old.stop_gracefully().await;
                restarted += 1;
            }
            for app in &apps {
                if cache.1.elapsed() >= max_age {
                    cache = (app.jwks().await, Instant::now());
                }
                let token = app.access_token(&id, &secret).await;
                verify_with(
                    &cache.0,
                    &token,
                    "http://orgauth.test",
                    "http://orgauth.test",
                );
                kids.insert(raw_header(&token)["kid"].as_str().unwrap().to_owned());
                verified += 1;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(restarted, 3);
        assert_eq!(kids.len(), 2, "both keys signed during the run: {kids:?}");
        assert!(kids.contains(&old_kid));
        eprintln!(
            "rolling rotation: {verified} tokens from 3 instances restarted one by one, \
             0 failed requests, 0 failed verifications"
        );

        // Every instance now signs with the new EdDSA key and publishes both keys.
        for app in &apps {
            let header = raw_header(&app.access_token(&id, &secret).await);
            assert_eq!(header["alg"], "EdDSA");
            assert_ne!(header["kid"].as_str().unwrap(), old_kid);
            assert_eq!(app.jwks().await.keys.len(), 2);
        }
    }
);

on_both_backends!(
    keys_rotate_on_schedule_and_retired_keys_stay_published_for_a_token_lifetime,
    |backend: Backend| async move {
        use orgauth::service::signing_keys::{self, KeyState};
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let app = spawn_with(test_config(&db, keys.path().to_owned())).await;
        let kek = orgauth::token::KeyEncryptionKey::load_or_create(None, keys.path()).unwrap();
        let mut conn = app.store();
        let alg = orgauth::token::SigningAlg::Es256;
        let ttl = Duration::from_secs(3600);
        let delay = Duration::from_secs(600);

        // Not due: nothing happens.
        let week = Some(Duration::from_secs(7 * 24 * 3600));
        assert!(!signing_keys::maintain(&mut conn, &kek, alg, delay, week, ttl).unwrap());
        // Due (the active key is older than the interval): a next key, published, not signing.
        let due = Some(Duration::from_millis(1));
        assert!(signing_keys::maintain(&mut conn, &kek, alg, delay, due, ttl).unwrap());
        let states: Vec<KeyState> = signing_keys::list(&mut conn, ttl)
            .unwrap()
            .iter()
            .map(|k| k.state)
            .collect();
        assert_eq!(states, [KeyState::Active, KeyState::Next]);
        // One next key at a time.
        assert!(!signing_keys::maintain(&mut conn, &kek, alg, delay, due, ttl).unwrap());
        // Audited in the platform organization, by the scheduler.
        let events = app
            .platform_admin()
            .await
            .get(&format!(
                "/organizations/{}/audit-events?action=signing_key.rotated",
                app.org_id
            ))
            .await;
        let events = events.body.as_array().unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["actor"]["type"], "operator");
        assert_eq!(events[0]["details"]["scheduled"], true);
        let started = Instant::now();
        while app.jwks().await.keys.len() != 2 {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "not published within 1 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        // A key that takes over at once retires the old one, which stays published for the
        // token lifetime (+ 60 s), then is deleted.
        signing_keys::rotate(
            &mut conn,
            &kek,
            &orgauth::service::Principal::Operator("test"),
            alg,
            Duration::ZERO,
        )
        .unwrap();
        let listed = signing_keys::list(&mut conn, ttl).unwrap();
        let retired = &listed[0];
        assert_eq!(retired.state, KeyState::Retired);
        let window = retired.retires_at.unwrap() - listed[1].activates_at;
        assert_eq!(window.num_seconds(), 3600 + 60);
        assert!(!signing_keys::maintain(&mut conn, &kek, alg, delay, None, ttl).unwrap());
        assert!(signing_keys::maintain(&mut conn, &kek, alg, delay, None, Duration::ZERO).is_ok());
    }
);
