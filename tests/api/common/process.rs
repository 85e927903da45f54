//! The real `orgauth` binary as a test runs it: its own database, keys and port.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::database::TestDatabase;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `orgauth serve` on `db`, `keys` and `port`, with a bootstrap admin `ops-admin` whose secret
/// is `admin_secret`, and a cheap argon2 cost; the caller adds what it needs and spawns it.
pub fn server_command(db: &TestDatabase, keys: &Path, port: u16, admin_secret: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orgauth"));
    command
        .env("DATABASE_URL", &db.url)
        .env("ORGAUTH_KEYS_DIR", keys)
        .env("ORGAUTH_BIND", format!("127.0.0.1:{port}"))
        .env("ORGAUTH_BOOTSTRAP_CLIENT_ID", "ops-admin")
        .env("ORGAUTH_BOOTSTRAP_CLIENT_SECRET", admin_secret)
        .env("ORGAUTH_ARGON2_MEMORY_KIB", "4096")
        .env("ORGAUTH_ARGON2_ITERATIONS", "1");
    command
}

/// Waits until `base` answers `/healthz` (at most 10 s).
pub async fn wait_until_up(base: &str) {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
