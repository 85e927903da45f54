//! Connections: one manager for both backends, the pool, and the bounds that keep every wait
//! on the database finite — also when packets to Postgres are silently dropped.
//!
//! Postgres connections get libpq's `connect_timeout`, TCP keepalives and `tcp_user_timeout`
//! (a link that stops acknowledging is given up within the database timeout) and a
//! `statement_timeout`, unless the URL sets them already. Callers on the async side also bound
//! their wait (`store::run`), because a proxy or middlebox that keeps acknowledging while
//! forwarding nothing defeats every TCP-level mechanism.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};

use super::{DatabaseUrl, DbConnection, init_tls};

/// Connects straight to the backend the URL names, so that a down Postgres surfaces libpq's
/// own error at once (the derived `MultiConnection::establish` hides it behind a generic one).
#[derive(Clone, Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// Whether a missing SQLite file may be created (only for the first, migrating connection:
    /// a pool connection must fail loudly, not serve an empty database).
    create_sqlite_file: bool,
    /// The longest any wait on this connection may take (`ORGAUTH_DB_TIMEOUT_MS`).
    timeout: Duration,
}

impl ConnectionManager {
    /// A manager for the first connection, which may create the SQLite file.
    pub fn new(url: DatabaseUrl, timeout: Duration) -> Self {
        Self {
            url,
            create_sqlite_file: true,
            timeout,
        }
    }

    fn for_pool(url: DatabaseUrl, timeout: Duration) -> Self {
        Self {
            url,
            create_sqlite_file: false,
            timeout,
        }
    }

    pub fn connect(&self) -> Result<DbConnection, diesel::ConnectionError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                init_tls();
                let mut conn = PgConnection::establish(&with_bounded_waits(url, self.timeout))?;
                if !url.contains("statement_timeout") {
                    conn.batch_execute(&format!(
                        "SET statement_timeout = {}",
                        self.timeout.as_millis()
                    ))
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                }
                Ok(DbConnection::Pg(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = if self.create_sqlite_file {
                    create_private_file(path);
                    SqliteConnection::establish(path)?
                } else {
                    SqliteConnection::establish(&existing_file_uri(path))?
                };
                // Foreign keys are off by default in SQLite, and busy_timeout makes writers
                // queue instead of failing. (WAL is a property of the file: see migrations.)
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
                     PRAGMA synchronous = NORMAL;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// A pooled connection that remembers whether it failed as if dead, so the pool discards it
/// instead of handing it out again (libpq's connection status is not visible through diesel).
pub struct PoolConnection {
    conn: DbConnection,
    pub(super) broken: bool,
}

impl std::ops::Deref for PoolConnection {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PoolConnection {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = PoolConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PoolConnection, r2d2::Error> {
        ConnectionManager::connect(self)
            .map(|conn| PoolConnection {
                conn,
                broken: false,
            })
            .map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut PoolConnection) -> Result<(), r2d2::Error> {
        conn.conn
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut PoolConnection) -> bool {
        conn.broken
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

pub struct PoolSettings {
    pub max_size: u32,
    pub connection_timeout: Duration,
}

/// Builds the pool without connecting eagerly, so the server starts (and `/readyz` reports)
/// even while the database is briefly away.
pub fn build_pool(url: &DatabaseUrl, settings: &PoolSettings) -> Pool {
    r2d2::Pool::builder()
        .max_size(settings.max_size)
        .min_idle(Some(1))
        .connection_timeout(settings.connection_timeout)
        .test_on_check_out(false)
        .build_unchecked(ConnectionManager::for_pool(
            url.clone(),
            settings.connection_timeout,
        ))
}

/// One connection outside the pool, to an existing database (never creates a SQLite file).
pub fn connect_existing(
    url: &DatabaseUrl,
    timeout: Duration,
) -> Result<DbConnection, diesel::ConnectionError> {
    ConnectionManager::for_pool(url.clone(), timeout).connect()
}

/// The URL with libpq's bounds on every wait added, where it does not set them itself:
/// `connect_timeout` (whole seconds, at least 2), keepalives every second after 2 s idle, and
/// `tcp_user_timeout` (unacknowledged data is given up on after `timeout`).
fn with_bounded_waits(url: &str, timeout: Duration) -> String {
    let mut url = url.to_owned();
    let seconds = timeout.as_secs_f64().ceil().max(2.0) as u64;
    let bounds = [
        ("connect_timeout", seconds.to_string()),
        ("keepalives", "1".to_owned()),
        ("keepalives_idle", "2".to_owned()),
        ("keepalives_interval", "1".to_owned()),
        ("keepalives_count", "3".to_owned()),
        ("tcp_user_timeout", timeout.as_millis().to_string()),
    ];
    for (name, value) in bounds {
        if !url.contains(&format!("{name}=")) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{name}={value}"));
        }
    }
    url
}

/// Creates a missing SQLite file readable by its owner only (0600) before SQLite opens it:
/// SQLite gives the `-wal` and `-shm` files it creates the database file's mode, so the
/// client hashes and audit log stay private to the server's user.
fn create_private_file(path: &str) {
    use std::os::unix::fs::OpenOptionsExt;
    if path == ":memory:" || path.starts_with("file:") {
        return;
    }
    // An existing file is left as it is; any other failure (missing directory, permissions)
    // is reported by SQLite's own open right after.
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
}

/// `file:` URI that opens `path` read-write without creating it (SQLite `mode=rw`).
fn existing_file_uri(path: &str) -> String {
    let escaped = path
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    format!("file:{escaped}?mode=rw")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_get_bounded_waits_unless_they_set_their_own() {
        let url = with_bounded_waits("postgres://h/db", Duration::from_millis(1500));
        assert_eq!(
            url,
            "postgres://h/db?connect_timeout=2&keepalives=1&keepalives_idle=2\
             &keepalives_interval=1&keepalives_count=3&tcp_user_timeout=1500"
        );
        let own = with_bounded_waits(
            "postgres://h1,h2/db?target_session_attrs=read-write&connect_timeout=9",
            Duration::from_secs(5),
        );
        assert!(own.starts_with(
            "postgres://h1,h2/db?target_session_attrs=read-write&connect_timeout=9&keepalives=1"
        ));
        assert!(!own.contains("connect_timeout=5"));
    }
}
