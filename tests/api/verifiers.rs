//! The resource-server libraries of this repository (SPEC §11), against a live orgauth: the
//! Rust crate (`verifiers/rust`, its framework-free `verify` and its actix-web extractor) and
//! the Python package (`verifiers/python`): a valid token passes, every refusal has its own
//! error, a revoked token is refused within the list's `ttl` + 1 s, and a token whose list
//! cannot be fetched is refused unless the application chose otherwise.

use std::process::Command;
use std::time::{Duration, Instant};

use orgauth_verifier::{Verifier, VerifyError};
use serde_json::json;

use crate::client_libraries::python;
use crate::common::{Backend, TestApp, spawn_at_own_address};

async fn app_with_ttl(seconds: u64) -> TestApp {
    spawn_at_own_address(Backend::Sqlite, |c| {
        c.status_list_ttl = Duration::from_secs(seconds);
    })
    .await
}

/// A client with `reports:read`, and a token of it.
async fn reporting_client(app: &TestApp) -> (String, String, String) {
    let admin = app.platform_admin().await;
    admin.create_role("reports:read").await;
    let (id, secret) = admin
        .create_client(&app.org_id, "reporting", &["reports:read"])
        .await;
    let token = app.access_token(&id, &secret).await;
    (id, secret, token)
}

async fn revoke(app: &TestApp, id: &str, secret: &str, token: &str) {
    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .basic_auth(id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_verifier_checks_everything_and_honours_revocation_within_ttl() {
    let app = app_with_ttl(2).await;
    let (id, secret, token) = reporting_client(&app).await;
    let issuer = app.config.issuer.clone();
    let verifier = Verifier::new(&issuer, &issuer).require_roles(["reports:read"]);

    let claims = verifier.verify(&token).await.expect("a valid token passes");
    assert_eq!(claims.client_id, id);
    assert!(matches!(
        Verifier::new(&issuer, &issuer)
            .require_roles(["billing:write"])
            .verify(&token)
            .await,
        Err(VerifyError::MissingRole(role)) if role == "billing:write"
    ));
    assert!(matches!(
        Verifier::new(&issuer, "https://other.example")
            .verify(&token)
            .await,
        Err(VerifyError::WrongAudience)
    ));
    assert!(matches!(
        verifier.verify("not.a.jwt").await,
        Err(VerifyError::Malformed(_))
    ));
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[2] = parts[2].chars().rev().collect();
    assert!(
        verifier.verify(&parts.join(".")).await.is_err(),
        "a forged signature"
    );

    // The actix-web extractor: 200 with the claims, 401 without a token.
    {
        use actix_web::{App, HttpResponse, test, web};
        let service =
            test::init_service(App::new().app_data(web::Data::new(verifier.clone())).route(
                "/reports",
                web::get().to(|token: orgauth_verifier::VerifiedToken| async move {
                    HttpResponse::Ok().body(token.0.client_id)
                }),
            ))
            .await;
        let ok = test::call_service(
            &service,
            test::TestRequest::get()
                .uri("/reports")
                .insert_header(("Authorization", format!("Bearer {token}")))
                .to_request(),
        )
        .await;
        assert_eq!(ok.status(), 200);
        let refused = test::call_service(
            &service,
            test::TestRequest::get().uri("/reports").to_request(),
        )
        .await;
        assert_eq!(refused.status(), 401);
        assert!(
            refused
                .headers()
                .get("www-authenticate")
                .expect("a challenge")
                .to_str()
                .unwrap()
                .starts_with("Bearer error=\"invalid_token\"")
        );
    }

    // Revoked: refused within ttl + 1 s.
    let revoked_at = Instant::now();
    revoke(&app, &id, &secret, &token).await;
    loop {
        match verifier.verify(&token).await {
            Err(VerifyError::Revoked) => break,
            Ok(_) => {}
            Err(e) => panic!("unexpected refusal: {e}"),
        }
        assert!(
            revoked_at.elapsed() < Duration::from_secs(3),
            "still accepted after ttl + 1 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Its list cannot be fetched (the server is gone, the cache expired): refused, unless
    // the application chose availability explicitly.
    let other = app.access_token(&id, &secret).await;
    let lenient = Verifier::new(&issuer, &issuer).allow_when_status_unavailable();
    assert!(verifier.verify(&other).await.is_ok());
    assert!(lenient.verify(&other).await.is_ok());
    app.stop_gracefully().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(matches!(
        verifier.verify(&other).await,
        Err(VerifyError::StatusUnavailable(_))
    ));
    assert!(lenient.verify(&other).await.is_ok(), "the explicit choice");
}

const PYTHON_RESOURCE_SERVER: &str = r#"
import json, sys, time
from orgauth_verifier import Verifier, Revoked, MissingRole, WrongAudience, StatusUnavailable
issuer, token = sys.argv[1], sys.argv[2]
verifier = Verifier(issuer, issuer, required_roles=["reports:read"])
claims = verifier.verify(token)
out = {"client_id": claims["client_id"]}
try:
    Verifier(issuer, issuer, required_roles=["billing:write"]).verify(token)
except MissingRole:
    out["missing_role"] = True
try:
    Verifier(issuer, "https://other.example").verify(token)
except WrongAudience:
    out["wrong_audience"] = True
print(json.dumps(out), flush=True)
# The test revokes the token now and says so on stdin.
sys.stdin.readline()
started = time.monotonic()
while True:
    try:
        verifier.verify(token)
    except Revoked:
        break
    if time.monotonic() - started > 5:
        print(json.dumps({"still_accepted": True}), flush=True)
        sys.exit(1)
    time.sleep(0.05)
print(json.dumps({"refused_after": time.monotonic() - started}), flush=True)
sys.stdin.readline()
time.sleep(2.5)
try:
    verifier.verify(token)
    out = {"unavailable_refused": False}
except StatusUnavailable:
    out = {"unavailable_refused": True}
except Exception as e:
    out = {"unavailable_refused": False, "error": type(e).__name__}
print(json.dumps(out), flush=True)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_verifier_checks_everything_and_honours_revocation_within_ttl() {
    use std::io::{BufRead, BufReader, Write};
    let Some(python) = python() else {
        return;
    };
    let app = app_with_ttl(2).await;
    let (id, secret, token) = reporting_client(&app).await;
    let mut child = Command::new(python)
        .env(
            "PYTHONPATH",
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("verifiers/python"),
        )
        .args(["-c", PYTHON_RESOURCE_SERVER, &app.config.issuer, &token])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = move || -> serde_json::Value {
        let line = lines
            .next()
            .expect("a line from the resource server")
            .unwrap();
        serde_json::from_str(&line).unwrap()
    };
    let first = tokio::task::block_in_place(&mut next);
    assert_eq!(
        first,
        json!({"client_id": id, "missing_role": true, "wrong_audience": true})
    );
    revoke(&app, &id, &secret, &token).await;
    writeln!(stdin, "revoked").unwrap();
    let refused = tokio::task::block_in_place(&mut next);
    let after = refused["refused_after"].as_f64().expect("refused");
    assert!(
        after <= 3.0,
        "refused {after} s after the revocation (ttl 2 s)"
    );
    app.stop_gracefully().await;
    writeln!(stdin, "stopped").unwrap();
    let unavailable = tokio::task::block_in_place(&mut next);
    assert_eq!(unavailable["unavailable_refused"], true, "{unavailable}");
    assert!(child.wait().unwrap().success());
}
