//! The web console in headless Chromium (tests/console/e2e.mjs, playwright-core), against the
//! real server: sign in, create a client and read its secret from the page, use it, edit its
//! roles, rotate, delete, read the audit log, and be sent back to sign-in when the session
//! ends — each step checked through the API too. Screenshots of every screen are written to
//! `$ORGAUTH_SCREENSHOT_DIR` (default `target/console-screenshots`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Backend, TestApp, spawn_app, spawn_app_with};

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Chromium, node and the script's node_modules; under CI their absence is a failure.
fn prerequisites_present(dir: &Path) -> bool {
    let missing: Vec<&str> = [
        (!chromium().exists()).then_some("chromium (apt-get install chromium)"),
        Command::new("node")
            .arg("--version")
            .output()
            .is_err()
            .then_some("node"),
        (!dir.join("node_modules/playwright-core").exists())
            .then_some("playwright-core (npm ci in tests/console)"),
        (!dir.join("node_modules/axe-core").exists())
            .then_some("axe-core (npm ci in tests/console)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("CI=true but the browser test cannot run: missing {missing:?}");
    }
    eprintln!("skipping the browser test: missing {missing:?}");
    false
}

/// A server whose issuer is its real address: the console's quick-start snippets name the
/// issuer's token endpoint, and the test runs them.
async fn spawn_reachable(audiences: &[&str]) -> TestApp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    spawn_app_with(Backend::Sqlite, |c| {
        c.bind = format!("127.0.0.1:{port}");
        c.issuer = format!("http://127.0.0.1:{port}");
        c.audiences = audiences.iter().map(|a| a.to_string()).collect();
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_manages_clients_in_a_real_browser() {
    run_browser_test(&[], "").await;
}

/// The same walk with resource-server audiences configured: the console still signs in with
/// the admin audience, and the quick start names the default audience.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_with_configured_audiences() {
    run_browser_test(
        &["https://api.example.com", "https://reports.example.com"],
        "audiences",
    )
    .await;
}

async fn run_browser_test(audiences: &[&str], screenshot_subdir: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/console");
    if !prerequisites_present(&dir) {
        return;
    }
    let s = spawn_reachable(audiences).await;
    let app = &s;
    let admin = app.platform_admin().await;
    admin.create_role("billing:read").await;
    admin.create_role("billing:write").await;
    let org = admin.create_org("Acme Payments").await;
    let (console_id, console_secret) = admin
        .create_client(
            &app.org_id,
            "console operator",
            &["platform:admin", "org:admin"],
        )
        .await;

    let screenshots = std::env::var_os("ORGAUTH_SCREENSHOT_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots"),
        PathBuf::from,
    );
    let mut command = Command::new("node");
    command
        .arg(dir.join("e2e.mjs"))
        .current_dir(&dir)
        .env("BASE_URL", &app.base_url)
        .env("ADMIN_ID", &app.admin_id)
        .env("ADMIN_SECRET", app.admin_secret())
        .env("CONSOLE_ID", &console_id)
        .env("CONSOLE_SECRET", &console_secret)
        .env("CONSOLE_ORG_ID", &app.org_id)
        .env("ORG_ID", &org)
        .env("CHROMIUM", chromium())
        .env("SCREENSHOT_DIR", screenshots.join(screenshot_subdir));
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the browser test failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("console e2e: ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_with_strict_security_headers() {
    let s = spawn_app(Backend::Sqlite).await;
    let app = &s;
    for path in ["/console", "/console/console.js", "/console/console.css"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(res.headers()["referrer-policy"], "no-referrer");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    }
    let html = app.get("/console").await.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline script or style"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no CDN: every asset is local"
    );
}
