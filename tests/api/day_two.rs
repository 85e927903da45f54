//! Day two: pulling a compromised signing key now, rotating the key-encryption key, recovering
//! from a lost one, backing up and restoring, and refusing a schema this binary does not know —
//! as an operator does them, with the real binary and the real servers.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::coherence::active;
use crate::common::{Backend, TestApp, TestDatabase, spawn_with, test_config};
use crate::status_lists::{bit, fetch_list, status_of};

/// `orgauth ARGS` on `db` and `keys`, with extra variables.
fn orgauth(db: &TestDatabase, keys: &Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orgauth"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("ORGAUTH_KEYS_DIR", keys)
        .env("ORGAUTH_ARGON2_MEMORY_KIB", "4096")
        .env("ORGAUTH_ARGON2_ITERATIONS", "1")
        .envs(envs.iter().copied())
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn published_kids(app: &TestApp) -> Vec<String> {
    app.jwks()
        .await
        .keys
        .into_iter()
        .filter_map(|k| k.common.key_id)
        .collect()
}

/// Polls until `check` holds; how long it took (panics after 3 s).
async fn until<F: std::future::Future<Output = bool>>(
    what: &str,
    check: impl Fn() -> F,
) -> Duration {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < Duration::from_secs(3), "{what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    started.elapsed()
}

/// A server started again on `config`, acting with the bootstrap admin of the first start.
async fn restart(
    config: &orgauth::config::Config,
    first: &(String, Option<String>, String),
) -> TestApp {
    let mut app = spawn_with(config.clone()).await;
    (app.admin_id, app.admin_secret, app.org_id) = first.clone();
    app
}

fn kek() -> String {
    STANDARD.encode(orgauth::domain::random_base62(32).as_bytes())
}

on_both_backends!(
    a_revoked_key_leaves_every_jwks_its_tokens_go_inactive_and_a_new_key_signs_at_once,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let config = test_config(&db, keys.path().to_owned());
        let a = spawn_with(config.clone()).await;
        let b = spawn_with(config).await;
        let admin = a.platform_admin().await;
        let org = a.org_id.clone();
        let (rs, rs_secret) = admin.create_client(&org, "resource-server", &[]).await;
        let (id, secret) = admin.create_client(&org, "svc", &[]).await;
        let token = a.access_token(&id, &secret).await;
        let compromised = kid_of(&token);
        for app in [&a, &b] {
            assert!(active(app, &rs, &rs_secret, &token).await);
        }

        // An org admin may not; a platform admin may, once; an unknown kid is 404.
        let (org_admin_id, org_admin_secret) =
            admin.create_client(&org, "org-admin", &["org:admin"]).await;
        let org_admin = a.admin_api(&org_admin_id, &org_admin_secret).await;
        let refused = org_admin
            .post(&format!("/keys/{compromised}/revoke"), json!({}))
            .await;
        assert_eq!(refused.status, 403, "{:?}", refused.body);
        assert_eq!(admin.get("/keys").await.body.as_array().unwrap().len(), 1);
        assert_eq!(
            admin
                .post("/keys/no-such-kid/revoke", json!({}))
                .await
                .status,
            404
        );
        let revoked = admin
            .post(&format!("/keys/{compromised}/revoke"), json!({}))
            .await;
        assert_eq!(revoked.status, 200, "{:?}", revoked.body);
        assert_eq!(revoked.body["revoked_kid"], compromised.as_str());
        let replacement = revoked.body["replacement_kid"].as_str().unwrap().to_owned();

        // Gone from both instances' JWKS and introspection within a second; its bit set.
        for app in [&a, &b] {
            let took = until("the revoked key is still published", || async {
                !published_kids(app).await.contains(&compromised)
            })
            .await;
            assert!(took < Duration::from_secs(1), "{took:?}");
            assert!(!active(app, &rs, &rs_secret, &token).await);
            // The lists are signed again by the new key within the next rebuild (100 ms).
            let (idx, uri) = status_of(&token);
            let path = uri.strip_prefix(&app.config.issuer).unwrap().to_owned();
            until(
                "a status list is still signed by the revoked key",
                || async {
                    let jwt = app.get(&path).await.text().await.unwrap();
                    kid_of(&jwt) != compromised
                },
            )
            .await;
            until("the revoked key's token has its bit unset", || async {
                bit(&fetch_list(app, &uri).await.2, idx) == 1
            })
            .await;
        }
        // The token no longer works at the admin API either; a new one is signed by the new
        // key at once and works everywhere.
        assert_eq!(a.get_bearer("/admin/v1/roles", &token).await.status(), 401);
        let fresh = b.access_token(&id, &secret).await;
        assert_eq!(kid_of(&fresh), replacement);
        for app in [&a, &b] {
            assert!(active(app, &rs, &rs_secret, &fresh).await);
        }
        let (idx, uri) = status_of(&fresh);
        assert_eq!(bit(&fetch_list(&a, &uri).await.2, idx), 0);

        // Audited in the platform organization, naming who did it (the admin's own token was
        // signed by the revoked key too: it gets a new one).
        assert_eq!(admin.get("/keys").await.status, 401);
        let admin = a.platform_admin().await;
        let events = admin
            .get(&format!(
                "/organizations/{org}/audit-events?action=signing_key.revoked"
            ))
            .await;
        let event = &events.body.as_array().expect("a list")[0];
        assert_eq!(event["target"], compromised.as_str());
        assert_eq!(event["actor_client_id"], a.admin_id.as_str());
        assert_eq!(event["details"]["replacement"], replacement.as_str());
    }
);

on_both_backends!(
    the_key_encryption_key_rotates_and_a_lost_one_costs_only_what_it_sealed,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let (old, new, lost_replacement) = (kek(), kek(), kek());
        let mut config = test_config(&db, keys.path().to_owned());
        config.key_encryption_key = Some(old.clone());
        let app = spawn_with(config.clone()).await;
        let admin = app.platform_admin().await;
        let org = app.org_id.clone();
        let (rs, rs_secret) = admin.create_client(&org, "resource-server", &[]).await;
        let (id, secret) = admin.create_client(&org, "svc", &[]).await;
        let before = app.access_token(&id, &secret).await;
        let first = (app.admin_id.clone(), app.admin_secret.clone(), org.clone());
        // An SSO client secret sealed under the old key, as `PUT …/sso` stores it.
        {
            use orgauth::store::schema::sso_connections;
            let sealed = orgauth::token::KeyEncryptionKey::parse(&old)
                .unwrap()
                .seal(&format!("sso:{org}"), b"idp-secret")
                .unwrap();
            diesel::insert_into(sso_connections::table)
                .values((
                    sso_connections::org_id.eq(&org),
                    sso_connections::issuer.eq("https://idp.example.com"),
                    sso_connections::client_id.eq("orgauth"),
                    sso_connections::sealed_client_secret.eq(sealed),
                    sso_connections::require_sso.eq(false),
                    sso_connections::created_at.eq(orgauth::store::now()),
                    sso_connections::updated_at.eq(orgauth::store::now()),
                ))
                .execute(&mut **app.store())
                .unwrap();
        }
        app.stop_gracefully().await;
        let sealed_secret = || {
            use orgauth::store::schema::sso_connections;
            let mut conn = orgauth::store::ConnectionManager::new(
                config.database_url.clone(),
                Duration::from_secs(5),
            )
            .connect()
            .unwrap();
            sso_connections::table
                .select(sso_connections::sealed_client_secret)
                .first::<Vec<u8>>(&mut conn)
                .unwrap()
        };
        let opens = |kek: &str, sealed: &[u8]| {
            orgauth::token::KeyEncryptionKey::parse(kek)
                .unwrap()
                .open(&format!("sso:{org}"), sealed)
                .ok()
        };

        // Rotation: the new key first, the old one after it; rewrap; then the new one alone.
        let both = format!("{new},{old}");
        let out = orgauth(
            &db,
            keys.path(),
            &[("ORGAUTH_KEY_ENCRYPTION_KEY", &both)],
            &["keys", "rewrap", "--json"],
        );
        assert!(out.status.success(), "{}", text(&out));
        let done: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (
                done["signing_keys"].as_u64(),
                done["sso_client_secrets"].as_u64()
            ),
            (Some(1), Some(1))
        );
        assert_eq!(done["under_older_keys"], 2);
        assert_eq!(
            opens(&new, &sealed_secret()).as_deref(),
            Some(&b"idp-secret"[..])
        );
        assert_eq!(
            opens(&old, &sealed_secret()),
            None,
            "sealed under the new key only"
        );

        config.key_encryption_key = Some(new.clone());
        let app = restart(&config, &first).await;
        assert!(
            active(&app, &rs, &rs_secret, &before).await,
            "same signing key"
        );
        assert_eq!(app.token_basic(&id, &secret, &[]).await.status(), 200);
        app.stop_gracefully().await;

        // The old key alone no longer opens anything: the server refuses to start, naming
        // the variable and the way out.
        let refused = orgauth(
            &db,
            keys.path(),
            &[
                ("ORGAUTH_KEY_ENCRYPTION_KEY", &lost_replacement),
                ("ORGAUTH_BIND", "127.0.0.1:0"),
            ],
            &["serve"],
        );
        assert!(!refused.status.success());
        let message = text(&refused);
        assert!(
            message.contains("ORGAUTH_KEY_ENCRYPTION_KEY")
                && message.contains("Key-encryption key lost"),
            "{message}"
        );

        // Lost: forget what it sealed (refused without --yes), then start again.
        let envs = [("ORGAUTH_KEY_ENCRYPTION_KEY", lost_replacement.as_str())];
        let unconfirmed = orgauth(&db, keys.path(), &envs, &["keys", "forget-unreadable"]);
        assert!(!unconfirmed.status.success());
        assert!(text(&unconfirmed).contains("--yes"));
        let out = orgauth(
            &db,
            keys.path(),
            &envs,
            &["keys", "forget-unreadable", "--yes", "--json"],
        );
        assert!(out.status.success(), "{}", text(&out));
        let forgotten: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(forgotten["signing_keys"].as_array().unwrap().len(), 1);
        assert_eq!(forgotten["sso_client_secrets"], json!([org]));
        assert!(forgotten["replacement"].is_string());
        assert!(sealed_secret().is_empty(), "to be entered again");

        config.key_encryption_key = Some(lost_replacement);
        let app = restart(&config, &first).await;
        // Lost: the tokens the old keys signed. Kept: clients and their secrets, the
        // connection (but its secret), the audit log.
        assert!(!active(&app, &rs, &rs_secret, &before).await);
        let after = app.access_token(&id, &secret).await;
        assert_eq!(kid_of(&after), forgotten["replacement"].as_str().unwrap());
        assert!(active(&app, &rs, &rs_secret, &after).await);
        let admin = app.platform_admin().await;
        assert_eq!(
            admin.get(&format!("/organizations/{org}/sso")).await.status,
            200
        );
        for action in ["keys.rewrapped", "keys.forgotten"] {
            let events = admin
                .get(&format!(
                    "/organizations/{org}/audit-events?action={action}"
                ))
                .await;
            assert_eq!(events.body.as_array().unwrap().len(), 1, "{action}");
        }
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_backup_taken_while_serving_restores_with_the_kek() {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let config = test_config(&db, keys.path().to_owned());
    let app = spawn_with(config.clone()).await;
    let admin = app.platform_admin().await;
    let org = app.org_id.clone();
    let (rs, rs_secret) = admin.create_client(&org, "resource-server", &[]).await;
    let (id, secret) = admin.create_client(&org, "svc", &[]).await;
    let token = app.access_token(&id, &secret).await;
    let first = (app.admin_id.clone(), app.admin_secret.clone(), org.clone());

    // Writes keep coming while the copy is taken.
    let writer = {
        let base = app.base_url.clone();
        let (admin_id, admin_secret) = (app.admin_id.clone(), app.admin_secret.clone().unwrap());
        let org = org.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0..20 {
                let token: Value = http
                    .post(format!("{base}/oauth/token"))
                    .basic_auth(&admin_id, Some(&admin_secret))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                http.post(format!("{base}/admin/v1/organizations/{org}/clients"))
                    .bearer_auth(token["access_token"].as_str().unwrap())
                    .json(&json!({"name": format!("during-{i}"), "roles": []}))
                    .send()
                    .await
                    .unwrap();
            }
        })
    };
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("backup.db");
    let copy_arg = copy.to_str().unwrap();
    let out = orgauth(&db, keys.path(), &[], &["backup", copy_arg, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let again = orgauth(&db, keys.path(), &[], &["backup", copy_arg]);
    assert!(!again.status.success(), "never overwrites");
    assert!(text(&again).contains("exists already"));
    writer.await.unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the owner's only");
    app.stop_gracefully().await;

    // The drill: a server on the copy, with the same keys directory (the KEK in keys/kek).
    let mut restored = config.clone();
    restored.database_url = orgauth::store::DatabaseUrl::parse(copy_arg);
    let app = restart(&restored, &first).await;
    assert!(
        active(&app, &rs, &rs_secret, &token).await,
        "tokens issued before still verify"
    );
    assert_eq!(
        app.token_basic(&id, &secret, &[]).await.status(),
        200,
        "secrets still work"
    );
    let admin = app.platform_admin().await;
    let clients = admin
        .get(&format!("/organizations/{org}/clients?limit=200"))
        .await;
    let n = clients.body.as_array().unwrap().len();
    assert!(n >= 3, "{n} clients");
    app.stop_gracefully().await;

    // Without its KEK the copy is useless: a server refuses to start on it.
    let other_keys = tempfile::tempdir().unwrap();
    let out = orgauth(
        &TestDatabase::create(Backend::Sqlite),
        other_keys.path(),
        &[("DATABASE_URL", copy_arg), ("ORGAUTH_BIND", "127.0.0.1:0")],
        &["serve"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("ORGAUTH_KEY_ENCRYPTION_KEY"),
        "{}",
        text(&out)
    );
    assert!(
        !other_keys.path().join("kek").exists(),
        "no new key-encryption key"
    );
}
