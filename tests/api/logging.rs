//! The server's own output, from the real binary: one line per request, never a secret or a
//! token, and a clean exit on SIGTERM.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::common::process::{free_port, server_command, wait_until_up};
use crate::common::{Backend, TestDatabase};
use orgauth::domain::NewClientSecret;
use serde_json::{Value, json};

/// Sends SIGTERM, asserts a successful exit, and returns everything the server printed.
fn stop_and_read_output(child: &mut std::process::Child) -> String {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
    read_output(child)
}

/// Everything an exited server printed, standard output then standard error.
fn read_output(child: &mut std::process::Child) -> String {
    let mut output = String::new();
    for stream in [
        child.stdout.take().map(|s| Box::new(s) as Box<dyn Read>),
        child.stderr.take().map(|s| Box::new(s) as Box<dyn Read>),
    ]
    .into_iter()
    .flatten()
    {
        let mut stream = stream;
        stream.read_to_string(&mut output).unwrap();
    }
    output
}

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
    let output = stop_and_read_output(&mut child);

    assert!(output.contains("POST /oauth/token 200"), "{output}");
    assert!(
        output.contains("client_id=ops-admin"),
        "the acting client is logged: {output}"
    );
    assert!(output.contains(&format!("client_id={id}")));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line_with_the_request_id_echoed() {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let port = free_port();
    let admin_secret = NewClientSecret::generate().into_plaintext();
    let mut child = server_command(&db, keys.path(), port, &admin_secret)
        .env("ORGAUTH_LOG_FORMAT", "json")
        .env("RUST_LOG", "info,orgauht=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until_up(&base).await;

    let token = |id: &str, secret: &str, request_id: &str| {
        http.post(format!("{base}/oauth/token"))
            .basic_auth(id, Some(secret))
            .header("X-Request-Id", request_id)
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    let ok = token("ops-admin", &admin_secret, "trace-abc.123:4")
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["x-request-id"], "trace-abc.123:4");
    let wrong = NewClientSecret::generate().into_plaintext();
    let failed = token("someone-else", &wrong, "bad id with spaces")
        .await
        .unwrap();
    assert_eq!(failed.status(), 401);
    let generated = failed.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(generated.len(), 22, "a forged ID is replaced: {generated}");

    let output = stop_and_read_output(&mut child);

    // Every stderr/stdout line that is a log entry is one JSON object (stdout also carries
    // the bootstrap notice, which is not a log entry).
    let entries: Vec<Value> = output
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let find = |request_id: &str| {
        entries
            .iter()
            .find(|e| e["request_id"] == request_id)
            .unwrap_or_else(|| panic!("no line for {request_id}: {output}"))
            .clone()
    };
    let line = find("trace-abc.123:4");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["target"], "orgauth::request");
    assert_eq!(line["method"], "POST");
    assert_eq!(line["route"], "/oauth/token");
    assert_eq!(line["status"], 200);
    assert_eq!(line["client_id"], "ops-admin");
    assert_eq!(line["remote"], "127.0.0.1");
    assert!(line["latency_ms"].as_f64().unwrap() > 0.0, "{line}");
    assert!(line["time"].as_str().unwrap().ends_with('Z'), "{line}");
    let line = find(&generated);
    assert_eq!(line["status"], 401);
    assert_eq!(line["client_id"], "someone-else", "the attempted client ID");
    // The typo in RUST_LOG is pointed out.
    assert!(
        entries
            .iter()
            .any(|e| e["level"] == "WARN" && e["message"].as_str().unwrap().contains("orgauht")),
        "{output}"
    );
    assert!(!output.contains(&admin_secret) && !output.contains(&wrong));
}

/// People's secrets never reach a log line either: invitation tokens, session ids (cookies),
/// CSRF tokens and WebAuthn challenges, at debug level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_s_sessions_invitations_and_challenges_are_never_logged() {
    use crate::common::people::{SoftPasskey, session_cookie};

    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let port = free_port();
    let admin_secret = NewClientSecret::generate().into_plaintext();
    let issuer = format!("http://127.0.0.1:{port}");
    let mut child = server_command(&db, keys.path(), port, &admin_secret)
        .env("ORGAUTH_ISSUER", &issuer)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = issuer.clone();
    let http = reqwest::Client::new();
    wait_until_up(&base).await;
    let origin = format!("http://localhost:{port}");
    let mut secrets: Vec<String> = Vec::new();

    let token: Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth("ops-admin", Some(&admin_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", issuer.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin_token = token["access_token"].as_str().unwrap().to_owned();
    let orgs: Value = http
        .get(format!("{base}/admin/v1/organizations"))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org = orgs[0]["id"].as_str().unwrap().to_owned();
    let invitation: Value = http
        .post(format!("{base}/admin/v1/organizations/{org}/invitations"))
        .bearer_auth(&admin_token)
        .json(&json!({"email": "log@example.com", "role": "org:viewer"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let invitation_token = invitation["invitation_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    secrets.push(invitation_token.clone());
    let post = |path: String, body: Value, cookie: Option<String>| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let mut req = http.post(format!("{base}{path}")).json(&body);
            if let Some(cookie) = cookie {
                req = req.header("cookie", format!("__Host-orgauth-session={cookie}"));
            }
            req.send().await.unwrap()
        }
    };
    let options: Value = post(
        format!("/auth/invitations/{invitation_token}/passkey/options"),
        json!({"name": "Log"}),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    secrets.push(options["challenge"].as_str().unwrap().to_owned());
    let (mut passkey, answer) = SoftPasskey::register(&options, &origin);
    let res = post(
        format!("/auth/invitations/{invitation_token}/passkey"),
        answer,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    let first = session_cookie(&res).unwrap();
    secrets.push(first.clone());
    let options: Value = post("/auth/passkeys/sign-in/options".into(), json!({}), None)
        .await
        .json()
        .await
        .unwrap();
    secrets.push(options["challenge"].as_str().unwrap().to_owned());
    let res = post(
        "/auth/passkeys/sign-in".into(),
        passkey.sign(&options),
        Some(first.clone()),
    )
    .await;
    assert_eq!(res.status(), 204);
    let second = session_cookie(&res).unwrap();
    secrets.push(second.clone());
    let me: Value = http
        .get(format!("{base}/admin/v1/me"))
        .header("cookie", format!("__Host-orgauth-session={second}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    secrets.push(me["csrf_token"].as_str().unwrap().to_owned());
    // A refused sign-in (the old session, a replayed answer) is logged without them too.
    let replay = post(
        "/auth/passkeys/sign-in".into(),
        passkey.sign(&options),
        None,
    )
    .await;
    assert_ne!(replay.status(), 204);
    assert_eq!(
        post("/auth/sign-out".into(), json!({}), Some(second.clone()))
            .await
            .status(),
        204
    );

    let output = stop_and_read_output(&mut child);
    assert!(output.contains("/auth/passkeys/sign-in"), "{output}");
    for secret in &secrets {
        assert!(
            !output.contains(secret.as_str()),
            "a people secret reached the log: {output}"
        );
    }
    for session in [&first, &second] {
        let hash = orgauth::domain::hash_text(session);
        assert!(!output.contains(&hash), "a session hash reached the log");
    }
}

/// An operator's day: SIGHUP does not kill the server; probes and scrapes stay out of the
/// INFO log; a malformed secret is logged with the client it named and the forwarded address;
/// at SIGTERM a kept-alive connection gets its answer with `Connection: close` and a clean
/// close; a `RUST_LOG` typo that silences everything is still pointed out; a fatal start-up
/// error is JSON when the log is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_probes_malformed_secrets_and_the_last_responses_are_an_operator_s() {
    use std::io::Write;
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let port = free_port();
    let admin_secret = NewClientSecret::generate().into_plaintext();
    let mut child = server_command(&db, keys.path(), port, &admin_secret)
        .env("ORGAUTH_TRUSTED_PROXIES", "127.0.0.1/32")
        .env("ORGAUTH_TRUSTED_PROXY_HEADER", "X-Forwarded-For")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until_up(&base).await;

    let hup = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP killed the server"
    );
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(
            http.get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let malformed = http
        .post(format!("{base}/oauth/token"))
        .header("X-Forwarded-For", "203.0.113.9")
        .basic_auth("svc-probing", Some("oas_not-a-well-formed-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 401);
    // A secret sent as the client ID (a swapped pair) is never logged.
    let swapped = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&admin_secret, Some("ops-admin"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(swapped.status(), 401);

    // At SIGTERM: an idle kept-alive connection is closed cleanly (FIN, no reset), and a
    // request in flight is answered with `Connection: close`.
    let mut idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let first = read_response(&mut idle);
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert!(
        !first.to_ascii_lowercase().contains("connection: close"),
        "{first}"
    );
    let body = "grant_type=client_credentials";
    let mut in_flight = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    in_flight
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("ops-admin:{admin_secret}"))
    };
    in_flight
        .write_all(
            format!(
                "POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {basic}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{}",
                body.len(),
                &body[..5]
            )
            .as_bytes(),
        )
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    in_flight.write_all(&body.as_bytes()[5..]).unwrap();
    let last = read_response(&mut in_flight);
    assert!(last.starts_with("HTTP/1.1 200"), "{last}");
    assert!(
        last.to_ascii_lowercase().contains("connection: close"),
        "{last}"
    );
    let mut rest = Vec::new();
    assert_eq!(
        std::io::Read::read_to_end(&mut idle, &mut rest).map_err(|e| e.kind()),
        Ok(0),
        "the idle connection is closed with a FIN, unanswered"
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let output = read_output(&mut child);
    assert!(output.contains("SIGHUP ignored"), "{output}");
    for probe in ["GET /healthz", "GET /readyz", "GET /metrics"] {
        assert!(!output.contains(probe), "{probe} logged at INFO:\n{output}");
    }
    let line = output
        .lines()
        .find(|l| l.contains("POST /oauth/token 401"))
        .unwrap_or_else(|| panic!("no line for the malformed secret:\n{output}"));
    assert!(
        line.contains("client_id=svc-probing") && line.contains("remote=203.0.113.9"),
        "{line}"
    );
    assert!(
        !output.contains(&admin_secret),
        "a secret in the log:\n{output}"
    );
    assert!(output.contains("(a client secret, not shown)"), "{output}");

    // A RUST_LOG that silences everything (a typo) is still pointed out.
    let out = Command::new(env!("CARGO_BIN_EXE_orgauth"))
        .args(["config", "check"])
        .env("RUST_LOG", "orgauht=debug")
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("orgauht") && stderr.contains("typo"),
        "{stderr}"
    );
    // A fatal start-up error, as JSON when the log is JSON, naming the variable.
    let out = Command::new(env!("CARGO_BIN_EXE_orgauth"))
        .env("ORGAUTH_LOG_FORMAT", "json")
        .env("ORGAUTH_TOKEN_TTL_SECONDS", "soon")
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let entry: Value =
        serde_json::from_str(stderr.trim()).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(entry["level"], "ERROR");
    assert!(
        entry["message"]
            .as_str()
            .unwrap()
            .contains("ORGAUTH_TOKEN_TTL_SECONDS"),
        "{entry}"
    );
}

/// One HTTP/1.1 response with a `Content-Length` body, read from a kept-alive connection.
fn read_response(conn: &mut std::net::TcpStream) -> String {
    let mut buffer = Vec::new();
    let mut byte = [0u8; 1];
    while !buffer.ends_with(b"\r\n\r\n") {
        assert_eq!(
            std::io::Read::read(conn, &mut byte).unwrap(),
            1,
            "closed early"
        );
        buffer.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buffer).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(|n| n.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    std::io::Read::read_exact(conn, &mut body).unwrap();
    head + &String::from_utf8_lossy(&body)
}
