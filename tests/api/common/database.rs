//! A database of the test's own on either backend.

use diesel::{Connection, PgConnection, RunQueryDsl};
use orgauth::domain::random_base62;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether the Postgres variant should run: `TEST_DATABASE_URL` set. Under `CI=true` its
/// absence is a failure.
pub fn postgres_available() -> bool {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("CI=true but TEST_DATABASE_URL is not set: the Postgres suite must run in CI");
    }
    eprintln!("skipping the Postgres variant: TEST_DATABASE_URL is not set");
    false
}

/// A database of the test's own, dropped at the end.
pub struct TestDatabase {
    pub url: String,
    pg_admin: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = dir.path().join("orgauth.db").display().to_string();
                Self {
                    url,
                    pg_admin: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL").unwrap();
                orgauth::store::init_tls();
                let name = format!("orgauth_test_{}", random_base62(12).to_lowercase());
                let mut conn = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
                    panic!("TEST_DATABASE_URL={admin_url} is unreachable: {e}")
                });
                diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .unwrap();
                let (base, _) = admin_url.rsplit_once('/').expect("URL names a database");
                Self {
                    url: format!("{base}/{name}"),
                    pg_admin: Some((admin_url, name)),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.pg_admin
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}
