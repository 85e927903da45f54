//! The binary as a container or a cluster runs it: the issuer it refuses to guess, secrets
//! from files, its own health check, native TLS with HTTP/2 and certificate renewal.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::process::{free_port, server_command};
use crate::common::{Backend, TestDatabase};
use orgauth::domain::NewClientSecret;

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn orgauth() -> Command {
    Command::new(env!("CARGO_BIN_EXE_orgauth"))
}

/// `orgauth healthcheck` with the server's bind address (and TLS files): its exit status.
fn healthcheck(port: u16, tls: Option<&Path>) -> bool {
    let mut command = orgauth();
    command
        .arg("healthcheck")
        .env("ORGAUTH_BIND", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", "/nonexistent/never-opened.db")
        .stderr(Stdio::null());
    if let Some(dir) = tls {
        command
            .env("ORGAUTH_TLS_CERT_FILE", dir.join("cert.pem"))
            .env("ORGAUTH_TLS_KEY_FILE", dir.join("key.pem"));
    }
    command.status().unwrap().success()
}

fn wait_healthy(port: u16, tls: Option<&Path>) {
    let started = Instant::now();
    while !healthcheck(port, tls) {
        assert!(started.elapsed() < Duration::from_secs(15), "never healthy");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn binding_every_interface_without_an_issuer_is_refused_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orgauth.db");
    let keys = dir.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    let out = orgauth()
        .arg("serve")
        .current_dir(dir.path())
        .env("ORGAUTH_BIND", format!("0.0.0.0:{}", free_port()))
        .env("DATABASE_URL", &db)
        .env("ORGAUTH_KEYS_DIR", &keys)
        .env_remove("ORGAUTH_ISSUER")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ORGAUTH_ISSUER must be set"), "{stderr}");
    assert!(stderr.contains("0.0.0.0"), "{stderr}");
    assert!(!db.exists(), "a database was created");
    assert_eq!(
        std::fs::read_dir(&keys).unwrap().count(),
        0,
        "a key was created"
    );

    // On loopback the bind address is the issuer.
    let out = orgauth()
        .args(["keys", "list"])
        .current_dir(dir.path())
        .env("ORGAUTH_BIND", "127.0.0.1:1")
        .env("DATABASE_URL", &db)
        .env("ORGAUTH_KEYS_DIR", &keys)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("ORGAUTH_ISSUER"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_come_from_files_and_the_health_check_follows_the_server() {
    let db = TestDatabase::create(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let secret = NewClientSecret::generate().into_plaintext();
    let secret_file = dir.path().join("bootstrap-secret");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let url_file = dir.path().join("database-url");
    std::fs::write(&url_file, &db.url).unwrap();
    let keys = dir.path().join("keys");
    let port = free_port();
    assert!(!healthcheck(port, None), "healthy before the server runs");

    // Both forms of one variable: refused, naming both.
    let out = server_command(&db, &keys, port, &secret)
        .env("DATABASE_URL_FILE", &url_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("set DATABASE_URL or DATABASE_URL_FILE, not both"),
        "{stderr}"
    );

    let server = server_command(&db, &keys, port, "")
        .env_remove("DATABASE_URL")
        .env_remove("ORGAUTH_BOOTSTRAP_CLIENT_SECRET")
        .env("DATABASE_URL_FILE", &url_file)
        .env("ORGAUTH_BOOTSTRAP_CLIENT_SECRET_FILE", &secret_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Running(server);
    wait_healthy(port, None);
    let res = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/oauth/token"))
        .basic_auth("ops-admin", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the bootstrap secret from the file");
    drop(server);
    assert!(!healthcheck(port, None), "healthy after the server stopped");
}

/// A CA, and certificates for 127.0.0.1 / localhost it signs.
struct TestCa {
    ca: rcgen::Issuer<'static, rcgen::KeyPair>,
    ca_der: rustls::pki_types::CertificateDer<'static>,
}

impl TestCa {
    fn new() -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "orgauth test CA");
        let cert = params.self_signed(&key).unwrap();
        let ca_der = cert.der().clone();
        Self {
            ca: rcgen::Issuer::new(params, key),
            ca_der,
        }
    }

    /// Writes a new leaf certificate and key into `dir` (replacing the files at once, as
    /// cert-manager does); returns the certificate.
    fn issue_into(&self, dir: &Path) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let params =
            rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        for (name, pem) in [("cert.pem", cert.pem()), ("key.pem", key.serialize_pem())] {
            let tmp = dir.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, pem).unwrap();
            std::fs::rename(&tmp, dir.join(name)).unwrap();
        }
        cert.der().to_vec()
    }

    fn client_config(&self, alpn: &[&[u8]]) -> rustls::ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        config
    }

    /// The certificate the server presents to a new connection.
    fn presented(&self, port: u16) -> Vec<u8> {
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut conn =
            rustls::ClientConnection::new(Arc::new(self.client_config(&[])), name).unwrap();
        let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp).unwrap();
        }
        conn.peer_certificates().unwrap()[0].to_vec()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_tls_speaks_http2_and_http1_and_picks_up_a_renewed_certificate() {
    let ca = TestCa::new();
    let db = TestDatabase::create(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let tls_dir = dir.path().join("tls");
    std::fs::create_dir(&tls_dir).unwrap();
    let first = ca.issue_into(&tls_dir);
    let keys = dir.path().join("keys");
    let secret = NewClientSecret::generate().into_plaintext();
    let port = free_port();
    let server = server_command(&db, &keys, port, &secret)
        .env("ORGAUTH_TLS_CERT_FILE", tls_dir.join("cert.pem"))
        .env("ORGAUTH_TLS_KEY_FILE", tls_dir.join("key.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Running(server);
    wait_healthy(port, Some(&tls_dir));
    assert!(
        !healthcheck(port, None),
        "plain HTTP must not pass on a TLS listener"
    );

    let base = format!("https://localhost:{port}");
    let h2 = reqwest::Client::builder()
        .use_preconfigured_tls(ca.client_config(&[b"h2", b"http/1.1"]))
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let res = h2.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(res.version(), reqwest::Version::HTTP_2);
    assert_eq!(res.status(), 200);
    let discovery: serde_json::Value = h2
        .get(format!("{base}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], format!("https://127.0.0.1:{port}"));

    let h1 = reqwest::Client::builder()
        .use_preconfigured_tls(ca.client_config(&[b"http/1.1"]))
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let res = h1
        .post(format!("{base}/oauth/token"))
        .basic_auth("ops-admin", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.version(), reqwest::Version::HTTP_11);
    assert_eq!(res.status(), 200);

    // Renewed on disk: new connections get the new certificate without a restart.
    let presented = |port| {
        let ca = &ca;
        std::thread::scope(|s| s.spawn(move || ca.presented(port)).join().unwrap())
    };
    assert_eq!(presented(port), first);
    let renewed = ca.issue_into(&tls_dir);
    let started = Instant::now();
    while presented(port) != renewed {
        assert!(
            started.elapsed() < Duration::from_secs(12),
            "still the old certificate"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let res = h2.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(healthcheck(port, Some(&tls_dir)));
}
