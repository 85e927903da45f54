//! The server's own output, from the real binary: one line per request, never a secret or a
//! token, and a clean exit on SIGTERM.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::common::process::{free_port, server_command, wait_until_up};
use crate::common::{Backend, TestDatabase};
use orgauth::domain::NewClientSecret;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_session_logs_no_secret_or_token_and_sigterm_exits_cleanly() {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let port = free_port();
    let admin_secret = NewClientSecret::generate().into_plaintext();
    let mut child = server_command(&db, keys.path(), port, &admin_secret)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until_up(&base).await;

    let mut secrets = vec![admin_secret.clone()];
    let mut tokens = Vec::new();
    let token_for = |id: String, secret: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let res = http
                .post(format!("{base}/oauth/token"))
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
            res.json::<Value>().await.unwrap()["access_token"]
                .as_str()
                .map(String::from)
        }
    };
    let admin_token = token_for("ops-admin".into(), admin_secret.clone())
        .await
        .unwrap();
    tokens.push(admin_token.clone());
    // client_secret_post, and failures of each kind.
    let res = http
        .post(format!("{base}/oauth/token?client_secret={admin_secret}"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ops-admin"),
            ("client_secret", &admin_secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let wrong = NewClientSecret::generate().into_plaintext();
    secrets.push(wrong.clone());
    assert!(token_for("ops-admin".into(), wrong.clone()).await.is_none());
    assert!(token_for("nobody".into(), wrong).await.is_none());

    // Admin calls: create (secret returned), rotate (secret returned), list.
    let admin = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut req = http
            .request(method, format!("{base}/admin/v1{path}"))
            .bearer_auth(&admin_token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move {
            req.send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap_or(Value::Null)
        }
    };
    let orgs = admin(reqwest::Method::GET, "/organizations", None).await;
    let org = orgs[0]["id"].as_str().unwrap().to_owned();
    let created = admin(
        reqwest::Method::POST,
        &format!("/organizations/{org}/clients"),
        Some(json!({"name": "svc", "roles": []})),
    )
    .await;
    let id = created["client_id"].as_str().unwrap().to_owned();
    secrets.push(created["client_secret"].as_str().unwrap().to_owned());
    let rotated = admin(
        reqwest::Method::POST,
        &format!("/organizations/{org}/clients/{id}/secret"),
        Some(json!({})),
    )
    .await;
    let svc_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    secrets.push(svc_secret.clone());
    admin(
        reqwest::Method::GET,
        &format!("/organizations/{org}/clients"),
        None,
    )
    .await;
    let svc_token = token_for(id.clone(), svc_secret.clone()).await.unwrap();
    tokens.push(svc_token.clone());
    // Introspect and revoke.
    for path in ["/oauth/introspect", "/oauth/revoke"] {
        let res = http
            .post(format!("{base}{path}"))
            .basic_auth(&id, Some(&svc_secret))
            .form(&[("token", svc_token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }

    // SIGTERM: a graceful, successful exit.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
    let mut output = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();

    assert!(output.contains("POST /oauth/token 200"), "{output}");
    assert!(
        output.contains("client=ops-admin"),
        "the acting client is logged: {output}"
    );
    assert!(output.contains(&format!("client={id}")));
    for secret in &secrets {
        assert!(
            !output.contains(secret.as_str()),
            "a secret reached the log"
        );
        assert!(
            !output.contains(&secret[4..24]),
            "part of a secret reached the log"
        );
    }
    for token in &tokens {
        assert!(!output.contains(token.as_str()), "a token reached the log");
        let signature = token.rsplit('.').next().unwrap();
        assert!(
            !output.contains(signature),
            "a token signature reached the log"
        );
    }
    assert!(
        !output.to_lowercase().contains("authorization:"),
        "no Authorization header in logs"
    );
}
