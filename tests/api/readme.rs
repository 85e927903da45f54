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
    let end = start + readme[start..].find(to).expect("next section");
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
