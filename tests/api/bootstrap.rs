//! First start on an empty database: the bootstrap organization and admin client.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use crate::common::{Backend, TestDatabase, spawn_with, test_config};
use orgauth::domain::{ClientId, ClientSecret, NewClientSecret};
use serde_json::Value;

on_both_backends!(
    bootstrap_runs_once_and_a_restart_creates_nothing,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let config = test_config(&db, keys.path().to_owned());

        let first = spawn_with(config.clone()).await;
        let secret = first.admin_secret().to_owned();
        assert!(
            ClientSecret::parse(&secret).is_ok(),
            "the generated secret is well-formed"
        );
        let id = first.admin_id.clone();
        first.stop();

        let second = spawn_with(config).await;
        assert!(second.admin_secret.is_none() && second.admin_id.is_empty());
        // The original admin still works: nothing was replaced.
        assert_eq!(second.token_basic(&id, &secret, &[]).await.status(), 200);
    }
);

on_both_backends!(
    bootstrap_credentials_can_come_from_the_environment,
    |backend: Backend| async move {
        let secret = NewClientSecret::generate().into_plaintext();
        let s = crate::common::spawn_app_with(backend, |c| {
            c.bootstrap_client_id = Some(ClientId::parse("platform-admin").unwrap());
            c.bootstrap_client_secret = Some(ClientSecret::parse(&secret).unwrap());
        })
        .await;
        let app = &s;
        assert_eq!(app.admin_id, "platform-admin");
        assert!(
            app.admin_secret.is_none(),
            "a secret from the environment is never echoed"
        );
        let body: Value = app
            .token_basic("platform-admin", &secret, &[])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["scope"], "org:admin platform:admin");
    }
);

/// Runs `orgauth serve` until it prints its bootstrap block, then stops it; returns stdout and
/// stderr.
fn serve_until_bootstrapped(envs: &[(&str, &str)]) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_orgauth"))
        .arg("serve")
        .env("ORGAUTH_BIND", "127.0.0.1:0")
        .env("ORGAUTH_ARGON2_MEMORY_KIB", "4096")
        .env("ORGAUTH_ARGON2_ITERATIONS", "1")
        .env("RUST_LOG", "debug")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    while !out.contains("client_secret:") {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        out.push_str(&line);
    }
    unsafe_kill(&mut child);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let _ = stdout.read_to_string(&mut out);
    (out, err)
}

fn unsafe_kill(child: &mut std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn serve_prints_a_generated_bootstrap_secret_once() {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let keys_dir = keys.path().display().to_string();
    let envs = [
        ("DATABASE_URL", db.url.as_str()),
        ("ORGAUTH_KEYS_DIR", keys_dir.as_str()),
    ];
    let (out, _) = serve_until_bootstrapped(&envs);
    let secret = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("client_secret:"))
        .map(str::trim)
        .expect("the secret is printed");
    assert!(ClientSecret::parse(secret).is_ok());
}

#[test]
fn a_bootstrap_secret_from_the_environment_is_never_printed_or_logged() {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let keys_dir = keys.path().display().to_string();
    let secret = NewClientSecret::generate().into_plaintext();
    let envs = [
        ("DATABASE_URL", db.url.as_str()),
        ("ORGAUTH_KEYS_DIR", keys_dir.as_str()),
        ("ORGAUTH_BOOTSTRAP_CLIENT_ID", "ops-admin"),
        ("ORGAUTH_BOOTSTRAP_CLIENT_SECRET", secret.as_str()),
    ];
    let (out, err) = serve_until_bootstrapped(&envs);
    assert!(out.contains("ops-admin"), "{out}");
    assert!(!out.contains(&secret) && !err.contains(&secret));
    assert!(!out.contains(&secret[4..20]) && !err.contains(&secret[4..20]));
}

#[test]
fn a_malformed_bootstrap_secret_is_refused_with_a_clear_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_orgauth"))
        .arg("migrate")
        .env("DATABASE_URL", "/nonexistent/never-opened.db")
        .env("ORGAUTH_BOOTSTRAP_CLIENT_SECRET", "changeme")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ORGAUTH_BOOTSTRAP_CLIENT_SECRET is not a well-formed orgauth secret"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("changeme"),
        "even a bad secret is not echoed"
    );
}

#[test]
fn a_forwarding_header_without_named_proxies_is_refused() {
    let run = |envs: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_orgauth"));
        command
            .arg("migrate")
            .env("DATABASE_URL", "/nonexistent/never-opened.db");
        for (k, v) in envs {
            command.env(k, v);
        }
        let out = command.output().unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = run(&[("ORGAUTH_TRUSTED_PROXY_HEADER", "X-Forwarded-For")]);
    assert!(stderr.contains("ORGAUTH_TRUSTED_PROXIES"), "{stderr}");
    let stderr = run(&[
        ("ORGAUTH_TRUSTED_PROXY_HEADER", "X-Forwarded-For"),
        ("ORGAUTH_TRUSTED_PROXIES", "10.0.0.0/8, not-a-network"),
    ]);
    assert!(
        stderr.contains("ORGAUTH_TRUSTED_PROXIES") && stderr.contains("not-a-network"),
        "{stderr}"
    );
    let stderr = run(&[
        ("ORGAUTH_TRUSTED_PROXY_HEADER", "Forwarded"),
        ("ORGAUTH_TRUSTED_PROXIES", "10.0.0.0/8"),
    ]);
    assert!(
        stderr.contains("Forwarded header is not supported"),
        "{stderr}"
    );
}
