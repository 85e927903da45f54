//! The web console in headless Chromium (tests/console/e2e.mjs, playwright-core), against the
//! real server: sign in, create a client and read its secret from the page, use it, edit its
//! roles, rotate, delete, read the audit log, and be sent back to sign-in when the session
//! ends; then the client lifecycle (description, token lifetime, disable and enable, secret
//! expiry, the organization's maximum secret lifetime), private_key_jwt with a key pasted
//! into the page and assertions signed by the test, and a trust policy (workload identity
//! federation) for an issuer the script runs on loopback — each step checked through the API too.
//! Screenshots of every screen are written to `$ORGAUTH_SCREENSHOT_DIR` (default
//! `target/console-screenshots`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Backend, spawn_app, spawn_at_own_address};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_manages_clients_in_a_real_browser() {
    run_browser_test(&[], "", None).await;
}

/// The same walk with resource-server audiences configured (the quick start names the default
/// audience), and a step-up window short enough that a change in the middle asks for the
/// passkey again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_with_configured_audiences_and_steps_up() {
    run_browser_test(
        &["https://api.example.com", "https://reports.example.com"],
        "audiences",
        Some(30),
    )
    .await;
}

async fn run_browser_test(audiences: &[&str], screenshot_subdir: &str, reauth: Option<u64>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/console");
    if !prerequisites_present(&dir) {
        return;
    }
    // Its issuer is its real address: the console's quick-start snippets name the issuer's
    // token endpoint, and the test runs them. The script's workload issuer is on loopback.
    let s = spawn_at_own_address(Backend::Sqlite, |c| {
        c.audiences = audiences.iter().map(|a| a.to_string()).collect();
        c.allow_loopback_issuers = true;
        if let Some(seconds) = reauth {
            c.people.reauth = std::time::Duration::from_secs(seconds);
        }
    })
    .await;
    let app = &s;
    let admin = app.platform_admin().await;
    admin.create_role("billing:read").await;
    admin.create_role("billing:write").await;
    let org = admin.create_org("Acme Payments").await;
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
        .env("CONSOLE_ORG_ID", &app.org_id)
        .env("ORG_ID", &org)
        .env("CHROMIUM", chromium())
        .env("SCREENSHOT_DIR", screenshots.join(screenshot_subdir));
    if let Some(seconds) = reauth {
        command.env("STEP_UP_WAIT", (seconds + 2).to_string());
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/client-libs/bin/python");
    if venv.exists() {
        command.env("PYTHON", venv);
    }
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

/// The strict headers of one console asset.
fn assert_strict_headers(path: &str, res: &reqwest::Response) {
    assert_eq!(res.status(), 200, "{path}");
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{path}: {csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{path}");
    assert_eq!(res.headers()["referrer-policy"], "no-referrer", "{path}");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
    assert_eq!(res.headers()["x-frame-options"], "DENY", "{path}");
}

/// The modules a module imports (`from "./x.js"`, `import "./x.js"`), by file name.
fn imported_modules(source: &str) -> Vec<String> {
    source
        .split("\"./")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|name| name.ends_with(".js") && !name.contains('/'))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_with_strict_security_headers() {
    let s = spawn_app(Backend::Sqlite).await;
    let app = &s;
    for path in ["/console", "/console/console.css"] {
        assert_strict_headers(path, &app.get(path).await);
    }
    let html = app.get("/console").await.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline script or style"
    );
    assert!(
        html.contains(r#"<script type="module" src="/console/js/main.js"></script>"#),
        "one module entry point"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no CDN: every asset is local"
    );

    // Every embedded module is served as JavaScript with the same headers, and every file in
    // src/http/console/js is embedded.
    let on_disk: std::collections::BTreeSet<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/console/js"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".js"))
            .collect();
    let embedded: std::collections::BTreeSet<String> = orgauth::http::console::MODULES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    assert_eq!(embedded, on_disk, "mod.rs embeds every module");
    for (name, _) in orgauth::http::console::MODULES {
        let path = format!("/console/js/{name}");
        let res = app.get(&path).await;
        assert_strict_headers(&path, &res);
        assert_eq!(
            res.headers()["content-type"],
            "text/javascript; charset=utf-8",
            "{path}"
        );
        assert_eq!(res.headers()["cache-control"], "no-cache", "{path}");
        let source = res.text().await.unwrap();
        for import in imported_modules(&source) {
            assert!(
                embedded.contains(&import),
                "{name} imports {import}, which is not served"
            );
        }
    }
    for path in [
        "/console/js/nope.js",
        "/console/js/..%2Fmod.rs",
        "/console/console.js",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}
