//! The README's walk-through runs as written: the shell blocks of "A first session with curl",
//! "The admin API" and "Clients without a shared secret", against the real server, every
//! request required to succeed.

use std::process::{Command, Stdio};

use crate::common::process::{free_port, server_command};
use crate::common::{Backend, TestDatabase};
use orgauth::domain::NewClientSecret;

/// The ```sh blocks between two headings of the README, in order.
fn shell_blocks(readme: &str, from: &str, to: &str) -> Vec<String> {
    let start = readme.find(from).expect("section");
    let end = match to {
        "" => readme.len(),
        to => start + readme[start..].find(to).expect("next section"),
    };
    let mut blocks = Vec::new();
    let mut rest = &readme[start..end];
    while let Some(open) = rest.find("```sh\n") {
        let body = &rest[open + 6..];
        let close = body.find("\n```").expect("closed block");
        blocks.push(body[..close].to_owned());
        rest = &body[close + 4..];
    }
    blocks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walk_through_runs_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut blocks = shell_blocks(
        &readme,
        "## A first session with curl",
        "## The web console",
    );
    assert!(blocks.len() >= 3, "{blocks:?}");
    let key_blocks = shell_blocks(
        &readme,
        "## Clients without a shared secret",
        "## Workload identity federation",
    );
    assert_eq!(key_blocks.len(), 1, "{key_blocks:?}");
    blocks.extend(key_blocks);
    let workdir = tempfile::tempdir().unwrap();

    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let secret = NewClientSecret::generate().into_plaintext();
    let port = free_port();
    let mut server = server_command(&db, keys.path(), port, &secret)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    crate::common::process::wait_until_up(&format!("http://127.0.0.1:{port}")).await;

    // The blocks as a reader pastes them, with this server's address and the bootstrap
    // admin's credentials; any HTTP error fails the run.
    let mut script = String::from(
        "set -euo pipefail\ncurl() { command curl --fail-with-body --max-time 10 \"$@\"; }\n",
    );
    for block in &blocks {
        for line in block.lines() {
            let line = if line.starts_with("ID=") {
                "ID=ops-admin".to_owned()
            } else if line.starts_with("SECRET=") {
                format!("SECRET='{secret}'")
            } else {
                line.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
            };
            script.push_str(&line);
            script.push('\n');
        }
    }
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(workdir.path())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("\"access_token\""), "{stdout}");
    assert!(stdout.contains("\"client_secret\":\"oas_"), "{stdout}");
    assert!(
        stdout.contains("\"roles\":[\"billing:read\",\"reports:read\"]"),
        "{stdout}"
    );
    assert!(stdout.contains("client.deleted"), "the audit log: {stdout}");
    assert!(
        stdout.contains("\"token_endpoint_auth_method\":\"private_key_jwt\""),
        "the key client: {stdout}"
    );
}

/// The ```sh blocks under `heading` (up to the next heading).
pub(crate) fn runbook(readme: &str, heading: &str) -> Vec<String> {
    let start = readme.find(heading).expect("runbook");
    let rest = &readme[start + heading.len()..];
    let next = ["\n## ", "\n### "]
        .iter()
        .filter_map(|h| rest.find(h))
        .min()
        .unwrap_or(rest.len());
    let end = start + heading.len() + next;
    let blocks = shell_blocks(&readme[start..end], heading, "");
    assert!(!blocks.is_empty(), "{heading}");
    blocks
}
/// The runbooks of "Operating", each run as written by bash with `orgauth` on the PATH, against
/// real servers on SQLite, with the checks an operator would make after each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operating_runbooks_run_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let work = workdir.path().to_owned();
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let secret = NewClientSecret::generate().into_plaintext();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_orgauth"))
        .parent()
        .unwrap()
        .to_owned();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let start = |envs: &[(&str, String)]| {
        let mut command = server_command(&db, keys.path(), port, &secret);
        command
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command.spawn().unwrap()
    };
    let stop = |mut server: std::process::Child| {
        let _ = server.kill();
        let _ = server.wait();
    };
    let run = |heading: &str, block: usize, envs: &[(&str, String)], then: &str| {
        let script = format!(
            "set -euo pipefail\n{}\n{then}\n",
            runbook(&readme, heading)[block]
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(&work)
            .env("PATH", &path)
            .env("DATABASE_URL", &db.url)
            .env("ORGAUTH_KEYS_DIR", keys.path())
            .env("ORGAUTH_ARGON2_MEMORY_KIB", "4096")
            .env("ORGAUTH_ARGON2_ITERATIONS", "1")
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap();
        let text = format!(
            "{heading}:\n{script}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        text
    };
    let http = reqwest::Client::new();
    let token = || async {
        let res = http
            .post(format!("{base}/oauth/token"))
            .basic_auth("ops-admin", Some(&secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    };
    let admin = |token: String, path: &'static str| {
        let http = http.clone();
        let base = base.clone();
        async move {
            http.get(format!("{base}/admin/v1{path}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    let until_refused = |token: String| async move {
        for _ in 0..40 {
            if admin(token.clone(), "/roles").await.status() == 401 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the token is still accepted");
    };

    // A signing key is compromised: its tokens stop, a new key signs.
    let server = start(&[]);
    crate::common::process::wait_until_up(&base).await;
    let before = token().await;
    assert_eq!(admin(before.clone(), "/roles").await.status(), 200);
    run("### Runbook: a signing key is compromised", 0, &[], "");
    until_refused(before).await;
    let after_revoke = token().await;
    assert_eq!(admin(after_revoke.clone(), "/roles").await.status(), 200);

    // Rotating the key-encryption key, while the server serves; then NEW alone.
    run(
        "### Runbook: rotating the key-encryption key",
        0,
        &[],
        "printf %s \"$NEW\" > kek-new",
    );
    stop(server);
    let new = std::fs::read_to_string(work.join("kek-new")).unwrap();
    let with_new = [("ORGAUTH_KEY_ENCRYPTION_KEY", new.clone())];
    let server = start(&with_new);
    crate::common::process::wait_until_up(&base).await;
    assert_eq!(
        admin(after_revoke.clone(), "/roles").await.status(),
        200,
        "the same signing key, now sealed under NEW"
    );

    // Backup while serving; a change after it; restore; the change is gone, tokens verify.
    let backup = run("### Runbook: backup and restore", 0, &with_new, "");
    assert!(backup.contains("orgauth-backup.db"), "{backup}");
    let late = http
        .post(format!("{base}/admin/v1/roles"))
        .bearer_auth(token().await)
        .json(&serde_json::json!({"name": "after:backup", "description": "made after"}))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 201);
    stop(server);
    run("### Runbook: backup and restore", 1, &with_new, "");
    let server = start(&with_new);
    crate::common::process::wait_until_up(&base).await;
    let roles = admin(after_revoke.clone(), "/roles").await;
    assert_eq!(
        roles.status(),
        200,
        "tokens issued before the backup verify"
    );
    let roles: serde_json::Value = roles.json().await.unwrap();
    assert!(!roles.to_string().contains("after:backup"), "{roles}");
    stop(server);

    // The key-encryption key is lost: serve refuses; forget what it sealed; serve again.
    let lost = [(
        "ORGAUTH_KEY_ENCRYPTION_KEY",
        "bG9zdGxvc3Rsb3N0bG9zdGxvc3Rsb3N0bG9zdGxvc3Q=".to_owned(),
    )];
    let refused = start(&lost).wait_with_output().unwrap();
    assert!(!refused.status.success());
    run("### Runbook: the key-encryption key is lost", 0, &[], "");
    let with_file = [(
        "ORGAUTH_KEY_ENCRYPTION_KEY_FILE",
        work.join("new-kek").display().to_string(),
    )];
    let server = start(&with_file);
    crate::common::process::wait_until_up(&base).await;
    assert_eq!(
        admin(after_revoke, "/roles").await.status(),
        401,
        "the lost key's tokens"
    );
    assert_eq!(admin(token().await, "/roles").await.status(), 200);
    stop(server);

    // Upgrading: the status of this binary on this database.
    let status = run("### Runbook: upgrading and rolling back", 0, &with_file, "");
    assert!(status.contains("this binary may run on it"), "{status}");
}
