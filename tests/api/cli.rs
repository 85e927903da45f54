//! The `orgauth` command line, run as a user would, against both backends.

use std::process::Command;

use crate::common::{Backend, TestDatabase, spawn_with, test_config};
use serde_json::Value;

struct Cli<'a> {
    db: &'a TestDatabase,
    keys: &'a std::path::Path,
}

impl Cli<'_> {
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let (status, out, err) = self.run_with_status(args);
        (status.success(), out, err)
    }

    fn run_with_status(&self, args: &[&str]) -> (std::process::ExitStatus, String, String) {
        self.run_env(args, &[])
    }

    fn run_env(
        &self,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> (std::process::ExitStatus, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_orgauth"))
            .args(args)
            .envs(envs.iter().copied())
            .env("DATABASE_URL", &self.db.url)
            .env("ORGAUTH_KEYS_DIR", self.keys)
            .env("ORGAUTH_ARGON2_MEMORY_KIB", "4096")
            .env("ORGAUTH_ARGON2_ITERATIONS", "1")
            .output()
            .unwrap();
        (
            out.status,
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (status, out, err) = self.run_with_status(args);
        assert!(
            status.success(),
            "orgauth {args:?} ended with {status}: {err}\nstdout: {out}"
        );
        out
    }
}

on_both_backends!(
    org_and_client_created_on_the_cli_get_tokens,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let cli = Cli {
            db: &db,
            keys: keys.path(),
        };

        assert!(cli.ok(&["migrate"]).contains("up to date"));
        let org_id = cli
            .ok(&["org", "create", "Acme Payments"])
            .trim()
            .to_owned();
        assert!(org_id.starts_with("org_"), "{org_id}");

        let out = cli.ok(&[
            "client",
            "create",
            "--org",
            &org_id,
            "--name",
            "billing",
            "--role",
            "org:admin",
        ]);
        let field = |name: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("{name} missing in {out}"))
                .to_owned()
        };
        let (id, secret) = (field("client_id"), field("client_secret"));

        // A client that is not in the catalog's roles, or an unknown organization, is refused.
        let (ok, _, err) = cli.run(&[
            "client",
            "create",
            "--org",
            &org_id,
            "--name",
            "x",
            "--role",
            "nope:role",
        ]);
        assert!(!ok && err.contains("nope:role"), "{err}");
        let (ok, _, err) = cli.run(&[
            "client",
            "create",
            "--org",
            "org_missing",
            "--name",
            "x",
            "--role",
            "org:admin",
        ]);
        assert!(!ok && err.contains("organization not found"), "{err}");

        // The server finds clients on start, so it bootstraps nothing, and the CLI's client works.
        let app = spawn_with(test_config(&db, keys.path().to_owned())).await;
        assert!(app.admin_secret.is_none());
        let res = app.token_basic(&id, &secret, &[]).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let (_, claims) = app.verify_issued(&body).await;
        assert_eq!(
            (claims.org_id.as_str(), claims.scope.as_str()),
            (org_id.as_str(), "org:admin")
        );
    }
);

#[test]
fn keys_rotate_and_list_as_the_servers_see_them() {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let cli = Cli {
        db: &db,
        keys: keys.path(),
    };
    let rows = |cli: &Cli| {
        let list = cli.ok(&["keys", "list"]);
        list.lines()
            .skip(1)
            .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    };
    // An admin command needs an existing database; `migrate` creates it.
    let (ok, _, err) = cli.run(&["keys", "list"]);
    assert!(!ok && err.contains("no database at"), "{err}");
    cli.ok(&["migrate"]);
    assert!(
        rows(&cli).is_empty(),
        "listing is read-only: it creates no key"
    );

    let later = [("ORGAUTH_KEY_ACTIVATION_DELAY_SECONDS", "3600")];
    let (status, out, err) = cli.run_env(&["keys", "rotate"], &later);
    assert!(status.success() && out.contains("next"), "{out}{err}");
    let states: Vec<String> = rows(&cli).into_iter().map(|r| r[2].clone()).collect();
    assert_eq!(
        states,
        ["active", "next"],
        "the first key, then the next one"
    );
    let now = [("ORGAUTH_KEY_ACTIVATION_DELAY_SECONDS", "0")];
    let (status, out, err) = cli.run_env(&["keys", "rotate", "--alg", "RS256"], &now);
    assert!(status.success(), "{out}{err}");

    let states: Vec<(String, String)> = rows(&cli)
        .into_iter()
        .map(|r| (r[1].clone(), r[2].clone()))
        .collect();
    assert_eq!(
        states,
        [
            ("ES256".to_owned(), "retired".to_owned()),
            ("RS256".to_owned(), "active".to_owned()),
            ("ES256".to_owned(), "next".to_owned()),
        ]
    );
    let (ok, _, err) = cli.run(&["keys", "rotate", "--alg", "HS256"]);
    assert!(!ok && err.contains("HS256"), "{err}");
    // The private keys are in the database, sealed: nothing readable was written to keys/.
    let files: Vec<String> = std::fs::read_dir(keys.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["kek"]);
}

#[test]
fn secret_generate_prints_a_well_formed_secret() {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let cli = Cli {
        db: &db,
        keys: keys.path(),
    };
    let secret = cli.ok(&["secret", "generate"]);
    assert!(orgauth::domain::ClientSecret::parse(secret.trim()).is_ok());
}

#[test]
fn an_unreachable_postgres_fails_fast_with_libpq_s_own_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_orgauth"))
        .arg("migrate")
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Connection refused") || stderr.contains("connection"),
        "{stderr}"
    );
}

on_both_backends!(
    a_lost_bootstrap_secret_is_recovered_by_a_cli_rotation,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let app = spawn_with(test_config(&db, keys.path().to_owned())).await;
        let (admin, old) = (app.admin_id.clone(), app.admin_secret().to_owned());
        let cli = Cli {
            db: &db,
            keys: keys.path(),
        };
        let out = cli.ok(&["client", "rotate", "--org", &app.org_id, &admin]);
        let new = out
            .lines()
            .find_map(|l| l.strip_prefix("client_secret="))
            .expect("the new secret is printed")
            .to_owned();
        // The running server hears of the change within its poll interval (~100 ms).
        let started = std::time::Instant::now();
        while app.token_basic(&admin, &new, &[]).await.status() != 200 {
            assert!(started.elapsed() < std::time::Duration::from_secs(1));
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(app.token_basic(&admin, &old, &[]).await.status(), 401);
        let (ok, _, err) = cli.run(&["client", "rotate", "--org", &app.org_id, "no-such"]);
        assert!(!ok && err.contains("not found"), "{err}");
    }
);

#[test]
fn a_rotation_with_the_wrong_key_encryption_key_is_refused_and_stores_nothing() {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let cli = Cli {
        db: &db,
        keys: keys.path(),
    };
    cli.ok(&["migrate"]);
    cli.ok(&["keys", "rotate"]);
    let count = |cli: &Cli| cli.ok(&["keys", "list"]).lines().count() - 1;
    assert_eq!(count(&cli), 2);

    // Run from another directory, without the key the keys were sealed with.
    let elsewhere = tempfile::tempdir().unwrap();
    let stranger = Cli {
        db: &db,
        keys: elsewhere.path(),
    };
    let (ok, _, err) = stranger.run(&["keys", "rotate"]);
    assert!(!ok && err.contains("ORGAUTH_KEY_ENCRYPTION_KEY"), "{err}");
    assert!(
        !elsewhere.path().join("kek").exists(),
        "no stray key-encryption key"
    );
    let wrong = [(
        "ORGAUTH_KEY_ENCRYPTION_KEY",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    )];
    let (status, _, err) = stranger.run_env(&["keys", "rotate"], &wrong);
    assert!(
        !status.success() && err.contains("cannot be opened"),
        "{err}"
    );
    assert_eq!(count(&cli), 2, "nothing was stored");
}

on_both_backends!(
    every_admin_action_is_on_the_command_line_and_audited_as_cli,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let cli = Cli {
            db: &db,
            keys: keys.path(),
        };
        cli.ok(&["migrate"]);
        let json = |out: String| -> Value { serde_json::from_str(out.trim()).unwrap() };
        let lines = |out: String| -> Vec<Value> {
            out.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };

        let role = json(cli.ok(&[
            "role",
            "create",
            "billing:read",
            "--description",
            "Invoices",
            "--json",
        ]));
        assert_eq!(role["name"], "billing:read");
        cli.ok(&["role", "create", "reports:read"]);
        let roles = cli.ok(&["role", "list"]);
        assert!(
            roles.contains("billing:read\tInvoices") && roles.contains("reports:read"),
            "{roles}"
        );

        let org = json(cli.ok(&["org", "create", "Acme", "--json"]));
        let org = org["id"].as_str().unwrap().to_owned();
        assert!(cli.ok(&["org", "list"]).contains(&format!("{org}\tAcme")));
        cli.ok(&["org", "rename", &org, "Acme Corp"]);
        assert!(
            cli.ok(&["org", "list"])
                .contains(&format!("{org}\tAcme Corp"))
        );

        let created = json(cli.ok(&[
            "client",
            "create",
            "--org",
            &org,
            "--name",
            "billing-sync",
            "--role",
            "billing:read",
            "--json",
        ]));
        let id = created["client_id"].as_str().unwrap().to_owned();
        assert!(
            created["client_secret"]
                .as_str()
                .unwrap()
                .starts_with("oas_")
        );
        cli.ok(&["client", "create", "--org", &org, "--name", "second"]);
        let listed = lines(cli.ok(&["client", "list", "--org", &org, "--json"]));
        assert_eq!(listed.len(), 2);
        assert!(
            listed.iter().all(|c| c.get("client_secret").is_none()),
            "{listed:?}"
        );

        let updated = json(cli.ok(&[
            "client",
            "set-roles",
            "--org",
            &org,
            &id,
            "--role",
            "billing:read",
            "--role",
            "reports:read",
            "--json",
        ]));
        assert_eq!(
            updated["roles"],
            serde_json::json!(["billing:read", "reports:read"])
        );
        cli.ok(&["client", "rename", "--org", &org, &id, "billing-sync-2"]);
        let got = json(cli.ok(&["client", "get", "--org", &org, &id, "--json"]));
        assert_eq!(got["name"], "billing-sync-2");
        let set = json(cli.ok(&[
            "client",
            "set",
            "--org",
            &org,
            &id,
            "--description",
            "Nightly export",
            "--token-ttl",
            "600",
            "--disable",
            "--json",
        ]));
        assert_eq!(
            (
                &set["description"],
                &set["token_ttl_seconds"],
                &set["disabled"]
            ),
            (
                &serde_json::json!("Nightly export"),
                &serde_json::json!(600),
                &serde_json::json!(true)
            )
        );
        let set = json(cli.ok(&[
            "client",
            "set",
            "--org",
            &org,
            &id,
            "--token-ttl",
            "server",
            "--enable",
            "--json",
        ]));
        assert_eq!(
            (&set["token_ttl_seconds"], &set["disabled"]),
            (&serde_json::Value::Null, &serde_json::json!(false))
        );
        let (ok, _, err) = cli.run(&["client", "set", "--org", &org, &id, "--token-ttl", "999999"]);
        assert!(!ok && err.contains("token_ttl_seconds"), "{err}");
        let rotated = json(cli.ok(&[
            "client", "rotate", "--org", &org, &id, "--grace", "600", "--json",
        ]));
        assert!(
            rotated["client_secret"]
                .as_str()
                .unwrap()
                .starts_with("oas_")
        );
        cli.ok(&["client", "revoke-tokens", "--org", &org, &id]);
        // A role still held cannot go; the use case's rule, not the CLI's.
        let (ok, _, err) = cli.run(&["role", "delete", "reports:read"]);
        assert!(!ok && err.contains("reports:read"), "{err}");
        assert!(
            cli.ok(&["client", "delete", "--org", &org, &id])
                .contains("deleted")
        );
        cli.ok(&["role", "delete", "reports:read"]);
        let (ok, _, err) = cli.run(&["client", "get", "--org", &org, &id]);
        assert!(!ok && err.contains("not found"), "{err}");

        // The audit log, oldest first, every action by `cli`.
        let events = lines(cli.ok(&["audit", "export", "--org", &org]));
        let actions: Vec<&str> = events
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "organization.created",
                "organization.renamed",
                "client.created",
                "client.created",
                "client.updated",
                "client.updated",
                "client.updated",
                "client.disabled",
                "client.updated",
                "client.enabled",
                "client.secret_rotated",
                "client.tokens_revoked",
                "client.deleted",
            ],
            "{events:?}"
        );
        assert!(events.iter().all(|e| e["actor_client_id"] == "cli"));
        assert!(
            events
                .iter()
                .all(|e| e["actor"]["type"] == "operator" && e["actor"]["id"] == "cli"),
            "{events:?}"
        );
        let later = lines(cli.ok(&[
            "audit",
            "export",
            "--org",
            &org,
            "--since",
            "2999-01-01T00:00:00Z",
        ]));
        assert!(later.is_empty());
    }
);

/// `--json` is honoured by every command (each line of its output one JSON value), and every
/// help text says where the configuration comes from.
#[test]
fn every_command_speaks_json_and_every_help_names_the_configuration() {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let cli = Cli {
        db: &db,
        keys: keys.path(),
    };
    cli.ok(&["migrate"]);
    let org = {
        let out = cli.ok(&["org", "create", "Acme", "--json"]);
        let org: Value = serde_json::from_str(out.trim()).unwrap();
        org["id"].as_str().unwrap().to_owned()
    };
    let out = cli.ok(&["client", "create", "--org", &org, "--name", "svc", "--json"]);
    let client: Value = serde_json::from_str(out.trim()).unwrap();
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    let commands: Vec<Vec<&str>> = vec![
        vec!["config", "check"],
        vec!["migrate"],
        vec!["migrate", "status"],
        vec!["secret", "generate"],
        vec!["org", "list"],
        vec!["org", "rename", &org, "Acme Corp"],
        vec!["client", "list", "--org", &org],
        vec!["client", "get", "--org", &org, &client_id],
        vec!["client", "rotate", "--org", &org, &client_id],
        vec!["role", "list"],
        vec!["audit", "export", "--org", &org],
        vec![
            "invite",
            "--org",
            &org,
            "--role",
            "org:admin",
            "ada@example.com",
        ],
        vec!["keys", "rotate"],
        vec!["keys", "list"],
        vec!["keys", "rewrap"],
    ];
    for command in &commands {
        let mut args = command.clone();
        args.push("--json");
        let out = cli.ok(&args);
        assert!(!out.trim().is_empty(), "{command:?} printed nothing");
        for line in out.lines() {
            serde_json::from_str::<Value>(line)
                .unwrap_or_else(|e| panic!("{command:?}: {e}: {line}"));
        }
    }
    let kid = {
        let out = cli.ok(&["keys", "list", "--json"]);
        let first: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        first["kid"].as_str().unwrap().to_owned()
    };
    let out = cli.ok(&["keys", "revoke", &kid, "--json"]);
    let revoked: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(revoked["revoked_kid"], kid.as_str());
    let out = cli.ok(&[
        "backup",
        keys.path().join("b.db").to_str().unwrap(),
        "--json",
    ]);
    let backup: Value = serde_json::from_str(out.trim()).unwrap();
    assert!(backup["bytes"].as_u64().unwrap() > 0);

    for help in [
        &["--help"][..],
        &["serve", "--help"],
        &["keys", "revoke", "--help"],
        &["client", "create", "--help"],
        &["backup", "--help"],
    ] {
        let out = cli.ok(help);
        assert!(
            out.contains("DATABASE_URL")
                && out.contains("ORGAUTH_*")
                && out.contains("config check"),
            "{help:?}: {out}"
        );
    }
}
