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
        let dry_run = text(&unconfirmed);
        assert!(
            dry_run.contains("--yes") && dry_run.contains("would revoke 1 signing key"),
            "{dry_run}"
        );
        assert!(!sealed_secret().is_empty(), "a dry run changes nothing");
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
        let sso = admin.get(&format!("/organizations/{org}/sso")).await;
        assert_eq!(sso.status, 200);
        assert_eq!(sso.body["client_secret_set"], false, "{:?}", sso.body);
        assert_eq!(sso.body["issuer"], "https://idp.example.com");
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

/// A server with a resource server, a client and a token issued before a backup, and the
/// bootstrap admin to act with after a restart.
struct Drill {
    db: TestDatabase,
    keys: tempfile::TempDir,
    config: orgauth::config::Config,
    app: TestApp,
    org: String,
    rs: String,
    rs_secret: String,
    id: String,
    secret: String,
    token: String,
    first: (String, Option<String>, String),
}

impl Drill {
    async fn start(backend: Backend) -> Self {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let config = test_config(&db, keys.path().to_owned());
        let app = spawn_with(config.clone()).await;
        let admin = app.platform_admin().await;
        let org = app.org_id.clone();
        let (rs, rs_secret) = admin.create_client(&org, "resource-server", &[]).await;
        let (id, secret) = admin.create_client(&org, "svc", &[]).await;
        let token = app.access_token(&id, &secret).await;
        let first = (app.admin_id.clone(), app.admin_secret.clone(), org.clone());
        drop(admin);
        Self {
            db,
            keys,
            config,
            app,
            org,
            rs,
            rs_secret,
            id,
            secret,
            token,
            first,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_backup_taken_while_serving_restores_with_the_kek() {
    let Drill {
        db,
        keys,
        config,
        app,
        org,
        rs,
        rs_secret,
        id,
        secret,
        token,
        first,
    } = Drill::start(Backend::Sqlite).await;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_dump_restores_with_the_kek() {
    if !crate::common::postgres_available() {
        return;
    }
    let Drill {
        db,
        keys,
        config,
        app,
        org: _,
        rs,
        rs_secret,
        id,
        secret,
        token,
        first,
    } = Drill::start(Backend::Postgres).await;

    // The README's recipe, as written: pg_dump -Fc while the server runs, pg_restore into an
    // empty database.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let recipe = crate::readme::runbook(&readme, "### Runbook: backup and restore")
        .into_iter()
        .find(|b| b.contains("pg_dump"))
        .expect("the Postgres recipe");
    let target = TestDatabase::create(Backend::Postgres);
    let dump_dir = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -euo pipefail\n{recipe}"))
        .current_dir(dump_dir.path())
        .env("DATABASE_URL", &db.url)
        .env("RESTORE_DATABASE_URL", &target.url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{recipe}\n{}", text(&out));
    app.stop_gracefully().await;

    let mut restored = config.clone();
    restored.database_url = orgauth::store::DatabaseUrl::parse(&target.url);
    let app = restart(&restored, &first).await;
    assert!(
        active(&app, &rs, &rs_secret, &token).await,
        "tokens issued before still verify"
    );
    assert_eq!(app.token_basic(&id, &secret, &[]).await.status(), 200);
    // `orgauth backup` is for SQLite and says what to use instead.
    let out = orgauth(
        &target,
        keys.path(),
        &[],
        &["backup", "/tmp/never-written.db"],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("pg_dump"), "{}", text(&out));
}

/// The newest migration of the previous release: this release must run its migrations beside
/// that release's binaries (bump it when a release is cut).
const PREVIOUS_RELEASE: &str = "20261206000017";

/// Every table's columns: (table, column) → (type, nullable, has a default).
fn columns(
    conn: &mut orgauth::store::DbConnection,
) -> std::collections::BTreeMap<(String, String), (String, bool, bool)> {
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        data_type: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        nullable: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        has_default: bool,
    }
    let query = match conn {
        orgauth::store::DbConnection::Pg(_) => {
            "SELECT table_name::text, column_name::text, data_type::text, \
             is_nullable = 'YES' AS nullable, column_default IS NOT NULL AS has_default \
             FROM information_schema.columns WHERE table_schema = 'public'"
        }
        orgauth::store::DbConnection::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
             p.\"notnull\" = 0 AS nullable, p.dflt_value IS NOT NULL AS has_default \
             FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'"
        }
    };
    diesel::sql_query(query)
        .load::<Column>(conn)
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                (c.table_name, c.column_name),
                (c.data_type, c.nullable, c.has_default),
            )
        })
        .collect()
}

/// Runs the migrations of `source` up to `last`, in order.
fn apply_up_to<DB: diesel::backend::Backend>(
    conn: &mut (impl diesel_migrations::MigrationHarness<DB> + diesel::migration::MigrationConnection),
    source: &diesel_migrations::FileBasedMigrations,
    last: &str,
) where
    diesel_migrations::FileBasedMigrations: diesel::migration::MigrationSource<DB>,
{
    conn.setup().unwrap();
    let mut migrations = diesel::migration::MigrationSource::<DB>::migrations(source).unwrap();
    migrations.sort_by_key(|m| m.name().version().to_string());
    let mut ran = 0;
    for migration in migrations
        .iter()
        .filter(|m| m.name().version().to_string().as_str() <= last)
    {
        conn.run_migration(migration).unwrap();
        ran += 1;
    }
    assert!(ran > 0, "no migration up to {last}");
}

on_both_backends!(
    this_release_runs_beside_the_previous_one_and_refuses_a_schema_that_does_not_accept_it,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let config = test_config(&db, keys.path().to_owned());
        let connect = || {
            orgauth::store::ConnectionManager::new(
                config.database_url.clone(),
                Duration::from_secs(5),
            )
            .connect()
            .unwrap()
        };

        // The previous release's schema, from its migrations.
        let dir = match backend {
            Backend::Sqlite => "migrations/sqlite",
            Backend::Postgres => "migrations/postgres",
        };
        let source = diesel_migrations::FileBasedMigrations::from_path(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
        )
        .unwrap();
        let mut conn = connect();
        match &mut conn {
            orgauth::store::DbConnection::Pg(c) => apply_up_to(c, &source, PREVIOUS_RELEASE),
            orgauth::store::DbConnection::Sqlite(c) => apply_up_to(c, &source, PREVIOUS_RELEASE),
        }
        let before = columns(&mut conn);

        // This release's migrations only add: every table and column the previous release
        // reads is still there with its type, and every column added can be left out by its
        // inserts (nullable or with a default).
        let status = orgauth(&db, keys.path(), &[], &["migrate", "status", "--json"]);
        assert!(status.status.success(), "{}", text(&status));
        let status: Value = serde_json::from_slice(&status.stdout).unwrap();
        assert_eq!(status["database_newest"], PREVIOUS_RELEASE);
        assert!(!status["pending"].as_array().unwrap().is_empty());
        let out = orgauth(&db, keys.path(), &[], &["migrate"]);
        assert!(out.status.success(), "{}", text(&out));
        let after = columns(&mut conn);
        for (column, kind) in &before {
            assert_eq!(
                after.get(column),
                Some(kind),
                "{column:?} changed or went away"
            );
        }
        for (column, (_, nullable, has_default)) in &after {
            if !before.contains_key(column) && before.keys().any(|(t, _)| *t == column.0) {
                assert!(
                    *nullable || *has_default,
                    "{column:?} is required: the previous release's inserts would fail"
                );
            }
        }

        // A newer release's migration that accepts this binary: it starts (N beside N+1).
        let ours = orgauth(&db, keys.path(), &[], &["migrate", "status", "--json"]);
        let ours: Value = serde_json::from_slice(&ours.stdout).unwrap();
        let binary_newest = ours["binary_newest"].as_str().unwrap().to_owned();
        assert_eq!(ours["database_newest"], binary_newest.as_str());
        let future = "29991231000001";
        diesel::sql_query(format!(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('{future}')"
        ))
        .execute(&mut conn)
        .unwrap();
        diesel::sql_query(format!(
            "INSERT INTO schema_compatibility (version, oldest_compatible) \
             VALUES ('{future}', '{binary_newest}')"
        ))
        .execute(&mut conn)
        .unwrap();
        let app = spawn_with(config.clone()).await;
        let admin = app.platform_admin().await;
        assert_eq!(admin.get("/roles").await.status, 200);
        app.stop_gracefully().await;

        // One that does not: `serve` and `migrate` refuse, naming both versions, and change
        // nothing; `migrate status` says why.
        diesel::sql_query(format!(
            "UPDATE schema_compatibility SET oldest_compatible = '{future}' \
             WHERE version = '{future}'"
        ))
        .execute(&mut conn)
        .unwrap();
        let bind = [("ORGAUTH_BIND", "127.0.0.1:0")];
        for args in [&["serve"][..], &["migrate"], &["migrate", "status"]] {
            let out = orgauth(&db, keys.path(), &bind, args);
            assert!(!out.status.success(), "{args:?}");
            let message = text(&out);
            assert!(
                message.contains(future) && message.contains(&binary_newest),
                "{args:?}: {message}"
            );
        }
        assert_eq!(columns(&mut conn), after);
    }
);

/// A start that cannot reach its database writes no key-encryption key: the next start, with
/// the database back, must not find a stray `keys/kek` it would then trust.
#[test]
fn no_key_encryption_key_is_written_before_the_database_is_reached() {
    let keys = tempfile::tempdir().unwrap();
    let db = TestDatabase::create(Backend::Sqlite);
    let out = orgauth(
        &db,
        keys.path(),
        &[
            ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/orgauth"),
            ("ORGAUTH_DB_TIMEOUT_MS", "500"),
            ("ORGAUTH_BIND", "127.0.0.1:0"),
        ],
        &["serve"],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("database"), "{}", text(&out));
    let left: Vec<_> = std::fs::read_dir(keys.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A key revoked from a host whose key-encryption key list is ahead of an instance's (step 1
/// of a rotation, half rolled out): the instance drops the revoked key all the same, and says
/// it is not ready while it cannot open the replacement; when it is left with no key it can
/// use, it stops rather than sign with the revoked one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_cannot_open_the_replacement_never_keeps_the_revoked_key() {
    use crate::common::process::{free_port, server_command, wait_until_up};
    let (old, new) = (kek(), kek());
    let both = format!("{new},{old}");
    let http = reqwest::Client::new();
    for keys_before in [2, 1] {
        let db = TestDatabase::create(Backend::Sqlite);
        let keys = tempfile::tempdir().unwrap();
        let with_old = [("ORGAUTH_KEY_ENCRYPTION_KEY", old.as_str())];
        let port = free_port();
        let secret = orgauth::domain::NewClientSecret::generate().into_plaintext();
        let mut server = server_command(&db, keys.path(), port, &secret)
            .envs(with_old)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        wait_until_up(&base).await;
        if keys_before == 2 {
            let later = [
                ("ORGAUTH_KEY_ENCRYPTION_KEY", old.as_str()),
                ("ORGAUTH_KEY_ACTIVATION_DELAY_SECONDS", "3600"),
            ];
            assert!(
                orgauth(&db, keys.path(), &later, &["keys", "rotate"])
                    .status
                    .success()
            );
        }
        let listed = orgauth(&db, keys.path(), &with_old, &["keys", "list", "--json"]);
        let active = String::from_utf8(listed.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|k| k["state"] == "active")
            .unwrap()["kid"]
            .as_str()
            .unwrap()
            .to_owned();
        let out = orgauth(
            &db,
            keys.path(),
            &[("ORGAUTH_KEY_ENCRYPTION_KEY", &both)],
            &["keys", "revoke", &active],
        );
        assert!(out.status.success(), "{}", text(&out));

        if keys_before == 2 {
            let jwks = || async {
                http.get(format!("{base}/.well-known/jwks.json"))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            };
            until("the revoked key is still published", || async {
                !jwks().await.contains(&active)
            })
            .await;
            let token: Value = http
                .post(format!("{base}/oauth/token"))
                .basic_auth("ops-admin", Some(&secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_ne!(kid_of(token["access_token"].as_str().unwrap()), active);
            let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
            assert_eq!(ready.status(), 503, "ready while a key cannot be opened");
            let _ = server.kill();
            let _ = server.wait();
        } else {
            // Nothing left it can use: it stops, saying why.
            let started = Instant::now();
            let status = loop {
                if let Some(status) = server.try_wait().unwrap() {
                    break status;
                }
                assert!(started.elapsed() < Duration::from_secs(3), "still running");
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            assert!(!status.success());
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut stderr).unwrap();
            assert!(stderr.contains("stopping"), "{stderr}");
        }
    }
}

on_both_backends!(
    only_a_platform_admin_with_a_fresh_sign_in_and_the_csrf_token_lists_or_revokes_keys,
    |backend: Backend| async move {
        let app = crate::common::spawn_app(backend).await;
        let admin = app.platform_admin().await;
        let org = app.org_id.clone();
        let kids = || async {
            orgauth::service::signing_keys::list(&mut app.store(), Duration::from_secs(3600))
                .unwrap()
                .into_iter()
                .map(|k| k.kid)
                .collect::<Vec<_>>()
        };
        let before = kids().await;
        let kid = before[0].clone();
        let revoke = format!("/keys/{kid}/revoke");
        // People of the platform organization: a viewer, an org admin, a platform admin.
        let mut people = Vec::new();
        for (email, role) in [
            ("vic@example.com", "org:viewer"),
            ("ola@example.com", "org:admin"),
            ("pat@example.com", "platform:admin"),
        ] {
            let url = admin.invite(&org, email, role).await;
            people.push(app.accept_invitation(&url, email).await.0);
        }
        let [vic, ola, pat] = &people[..] else {
            unreachable!()
        };
        for lesser in [vic, ola] {
            assert_eq!(lesser.api.get("/keys").await.status, 403);
            assert_eq!(lesser.api.post(&revoke, json!({})).await.status, 403);
        }
        // Another organization's admin client, too.
        let other = admin.create_org("Globex").await;
        let (id, secret) = admin
            .create_client(&other, "globex-admin", &["org:admin"])
            .await;
        let globex = app.admin_api(&id, &secret).await;
        assert_eq!(globex.get("/keys").await.status, 403);
        assert_eq!(globex.post(&revoke, json!({})).await.status, 403);

        // The platform admin: without the CSRF token, or from another site, refused.
        for (csrf, site) in [(false, "same-origin"), (true, "cross-site")] {
            let mut req = app
                .http
                .post(app.url(&format!("/admin/v1{revoke}")))
                .header("cookie", format!("__Host-orgauth-session={}", pat.cookie))
                .header("sec-fetch-site", site)
                .json(&json!({}));
            if csrf {
                req = req.header("x-csrf-token", pat.me["csrf_token"].as_str().unwrap());
            }
            assert_eq!(
                req.send().await.unwrap().status(),
                403,
                "csrf {csrf}, {site}"
            );
        }
        // A stale sign-in: step up first.
        assert_eq!(
            pat.api.get("/keys").await.status,
            200,
            "reading needs no step-up"
        );
        crate::people::age_sign_in(&app, pat);
        assert_eq!(pat.api.post(&revoke, json!({})).await.status, 401);
        assert_eq!(kids().await, before, "nothing revoked by a refused caller");
    }
);
