//! orgauth driven by real third-party OAuth client libraries, as applications use them:
//! Authlib's `PrivateKeyJWT` (Python) gets tokens with a key registered through the admin API.
//! The libraries live in a virtualenv made from `tests/clients/requirements.txt`
//! (`.ci/run` builds it in `target/client-libs`); without it the test is skipped, under
//! `CI=true` it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use orgauth::token::{SigningAlg, SigningKey, generate_pkcs8};
use serde_json::{Value, json};

use crate::common::{Backend, spawn_at_own_address};

pub fn python() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/client-libs/bin/python");
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("CI=true but {} is missing (see .ci/run)", path.display());
    }
    eprintln!(
        "skipping: no client-library virtualenv at {}",
        path.display()
    );
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authlib_private_key_jwt_gets_tokens() {
    let Some(python) = python() else {
        return;
    };
    let s = spawn_at_own_address(Backend::Sqlite, |_| {}).await;
    let app = &s;
    let admin = app.platform_admin().await;
    admin.create_role("billing:read").await;

    let der = generate_pkcs8(SigningAlg::Es256).unwrap();
    let key = SigningKey::from_pkcs8(&der, chrono::Utc::now().naive_utc()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pem_path = dir.path().join("client.pem");
    std::fs::write(&pem_path, pem::encode(&pem::Pem::new("PRIVATE KEY", der))).unwrap();
    let created = admin
        .post(
            &format!("/organizations/{}/clients", app.org_id),
            json!({"name": "authlib", "roles": ["billing:read"],
                   "jwks": {"keys": [key.public_jwk()]}}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let client_id = created.body["client_id"].as_str().unwrap().to_owned();

    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/authlib_private_key_jwt.py");
    let mut command = Command::new(python);
    command
        .arg(script)
        .env("TOKEN_URL", app.url("/oauth/token"))
        .env("CLIENT_ID", &client_id)
        .env("KEY_PEM", &pem_path);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "authlib failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Two tokens: two assertions, each used once.
    let responses: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(responses.len(), 2);
    for response in responses {
        let (_, claims) = app
            .verify(
                response["access_token"].as_str().unwrap(),
                &app.config.issuer,
            )
            .await;
        assert_eq!(
            (claims.client_id.as_str(), claims.scope.as_str()),
            (client_id.as_str(), "billing:read")
        );
    }
}
