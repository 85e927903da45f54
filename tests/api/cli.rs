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
        let out = Command::new(env!("CARGO_BIN_EXE_orgauth"))
            .args(args)
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
fn keys_generate_and_list() {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let cli = Cli {
        db: &db,
        keys: keys.path(),
    };

    let first = cli.ok(&["keys", "generate"]);
    let second = cli.ok(&["keys", "generate", "--alg", "RS256"]);
    let kid = |out: &str| out.split_whitespace().next().unwrap().to_owned();
    assert!(first.contains("ES256") && second.contains("RS256"));

    let list = cli.ok(&["keys", "list"]);
    let rows: Vec<&str> = list.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{list}");
    assert!(rows[0].starts_with(&kid(&first)) && rows[0].ends_with("no"));
    assert!(
        rows[1].starts_with(&kid(&second)) && rows[1].ends_with("yes"),
        "the newest key is active"
    );

    let (ok, _, err) = cli.run(&["keys", "generate", "--alg", "HS256"]);
    assert!(!ok && err.contains("HS256"), "{err}");
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
        assert_eq!(app.token_basic(&admin, &new, &[]).await.status(), 200);
        assert_eq!(app.token_basic(&admin, &old, &[]).await.status(), 401);
        let (ok, _, err) = cli.run(&["client", "rotate", "--org", &app.org_id, "no-such"]);
        assert!(!ok && err.contains("not found"), "{err}");
    }
);
