//! The store: one diesel connection type over Postgres (production) and SQLite (the embedded
//! default), an r2d2 pool of it, embedded migrations per backend, and one module per table
//! group. Each use case is one function; where it writes, it writes in one transaction.
//!
//! Queries go through `DbConnection`, a `diesel::MultiConnection`, so there is one code path
//! for both backends. Its limits shape the queries: no `RETURNING`, no multi-row insert, no
//! upsert, and timestamps are UTC `NaiveDateTime` truncated to microseconds (Postgres'
//! precision) so both backends round-trip the same value.

pub mod audit;
pub mod changes;
pub mod clients;
pub mod organizations;
pub mod revocations;
pub mod roles;
pub mod schema;

use std::time::Duration;

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a URL names: `postgres://` / `postgresql://` is Postgres, anything else is
/// a SQLite file path (an optional `sqlite://` prefix is stripped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres(url.to_owned())
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            Self::Sqlite(path.to_owned())
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
}

impl StoreError {
    /// Whether retrying later may succeed: no connection, a dropped connection, or a SQLite
    /// file locked past `busy_timeout`. Such errors are answered with 503, others with 500.
    pub fn is_transient(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            Self::Unavailable(_) => true,
            Self::Query(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)) => true,
            Self::Query(Error::DatabaseError(_, info)) => {
                let message = info.message();
                [
                    "database is locked",
                    "server closed the connection",
                    "terminating connection",
                    "no connection to the server",
                    "could not receive data",
                    "could not send data",
                    "connection to server",
                    "file is not a database",
                    "unable to open database file",
                    "disk I/O error",
                    "database disk image is malformed",
                ]
                .iter()
                .any(|m| message.contains(m))
            }
            Self::Query(_) => false,
        }
    }
}

impl From<r2d2::PoolError> for StoreError {
    fn from(e: r2d2::PoolError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// Connects straight to the backend the URL names, so that a down Postgres surfaces libpq's
/// own error at once (the derived `MultiConnection::establish` hides it behind a generic one).
#[derive(Clone, Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// Whether a missing SQLite file may be created (only for the first, migrating connection:
    /// a pool connection must fail loudly, not serve an empty database).
    create_sqlite_file: bool,
}

impl ConnectionManager {
    /// A manager for the first connection, which may create the SQLite file.
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            create_sqlite_file: true,
        }
    }

    fn for_pool(url: DatabaseUrl) -> Self {
        Self {
            url,
            create_sqlite_file: false,
        }
    }

    pub fn connect(&self) -> Result<DbConnection, diesel::ConnectionError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                init_tls();
                PgConnection::establish(url).map(DbConnection::Pg)
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
    broken: bool,
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

/// Errors that may say the database (or the connection) is gone rather than the request wrong.
pub trait Transient {
    fn is_transient(&self) -> bool;
}

impl Transient for StoreError {
    fn is_transient(&self) -> bool {
        StoreError::is_transient(self)
    }
}

/// Runs `f` with a pooled connection; a connection whose error looks like an outage is
/// discarded rather than returned to the pool, so service resumes as soon as the database does.
pub fn with_connection<T, E>(
    pool: &Pool,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError> + Transient,
{
    let started = std::time::Instant::now();
    let mut conn = pool.get().map_err(StoreError::from)?;
    crate::metrics::observe_pool_wait(started.elapsed());
    let result = f(&mut conn);
    if let Err(e) = &result
        && e.is_transient()
    {
        conn.broken = true;
    }
    result
}

/// `with_connection` on the blocking thread pool, for async callers.
pub async fn run<T, E>(
    pool: &Pool,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Transient + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || with_connection(&pool, f))
        .await
        .map_err(|e| StoreError::Unavailable(format!("store task failed: {e}")))?
}

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
        .build_unchecked(ConnectionManager::for_pool(url.clone()))
}

/// Initializes OpenSSL (used by libpq for `sslmode`) without its exit-time cleanup: otherwise
/// `exit()` can tear OpenSSL down while a pool or listener thread is still inside libpq, and
/// the process dies of a signal after its work is done. Idempotent; call before any libpq use.
pub fn init_tls() {
    openssl_sys::init();
}

/// One connection outside the pool, to an existing database (never creates a SQLite file).
pub fn connect_existing(url: &DatabaseUrl) -> Result<DbConnection, diesel::ConnectionError> {
    ConnectionManager::for_pool(url.clone()).connect()
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

/// Runs the pending migrations of the connection's backend; returns how many ran. A SQLite
/// file is switched to WAL first, so readers run beside the single writer.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, MigrationError> {
    match conn {
        DbConnection::Pg(c) => Ok(c.run_pending_migrations(PG_MIGRATIONS)?.len()),
        DbConnection::Sqlite(c) => {
            c.batch_execute("PRAGMA journal_mode = WAL;")?;
            Ok(c.run_pending_migrations(SQLITE_MIGRATIONS)?.len())
        }
    }
}

/// What diesel's migration harness reports (a boxed error of its own).
pub type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// Now, in UTC, at the microsecond precision both backends keep.
pub fn now() -> NaiveDateTime {
    truncate_to_micros(Utc::now().naive_utc())
}

pub fn truncate_to_micros(t: NaiveDateTime) -> NaiveDateTime {
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

/// A transaction for a use case that writes. On SQLite it is `BEGIN IMMEDIATE`: it takes the
/// write lock up front, so concurrent writers wait in `busy_timeout` instead of failing with
/// SQLITE_BUSY when a read-then-write transaction tries to upgrade its lock. Postgres runs
/// an ordinary transaction. Nested `transaction` calls inside become savepoints.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};

    let DbConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(f);
    };
    let nested = AnsiTransactionManager::transaction_manager_status_mut(sqlite)
        .transaction_depth()?
        .is_some();
    if nested {
        return conn.transaction(f);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    let result = f(conn);
    let DbConnection::Sqlite(sqlite) = conn else {
        unreachable!("the connection's backend does not change");
    };
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite)?;
            Ok(value)
        }
        Err(e) => {
            let _ = AnsiTransactionManager::rollback_transaction(sqlite);
            Err(e)
        }
    }
}
