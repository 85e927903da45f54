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
pub mod client_assertions;
pub mod clients;
mod connection;
pub mod organizations;
pub mod people;
pub mod revocations;
pub mod roles;
pub mod schema;
pub mod schema_version;
pub mod signing_keys;
pub mod sso;
pub mod status_lists;
pub mod trust_policies;

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use connection::{
    ConnectionManager, Pool, PoolConnection, PoolSettings, PooledConnection, build_pool,
    connect_existing,
};

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

    /// `DATABASE_URL` as an operator writes it: `postgres://…`, `postgresql://…`,
    /// `sqlite://PATH`, or a path ending in `.db`, `.sqlite` or `.sqlite3`. Anything else (a
    /// libpq keyword string, a typo in the scheme) is an error, never a new SQLite file named
    /// after it. The error does not repeat the value (it may hold a password).
    pub fn parse_setting(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let lower = url.to_ascii_lowercase();
        let sqlite_path = |path: &str| {
            let path = path.to_ascii_lowercase();
            !path.is_empty()
                && !path.contains('=')
                && [".db", ".sqlite", ".sqlite3"]
                    .iter()
                    .any(|e| path.ends_with(e))
        };
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                Err("sqlite:// needs a file path".into())
            } else {
                Ok(Self::Sqlite(path.to_owned()))
            }
        } else if !url.contains("://") && sqlite_path(url) {
            Ok(Self::Sqlite(url.to_owned()))
        } else {
            Err(
                "not a database URL orgauth accepts: use postgres://…, postgresql://…, \
                 sqlite://PATH, or a file path ending in .db, .sqlite or .sqlite3"
                    .into(),
            )
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
    with_connection_within(pool, pool.connection_timeout(), f)
}

/// `with_connection` on the blocking thread pool, for async callers, waiting at most the
/// pool's timeout (`ORGAUTH_DB_TIMEOUT_MS`) for the answer. A call that overruns is answered
/// as unavailable; its thread finishes (or fails) on its own, holding its pooled connection
/// meanwhile, so at most the pool's size of them can be stuck at once.
pub async fn run<T, E>(
    pool: &Pool,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Transient + Send + 'static,
{
    let bound = pool.connection_timeout();
    // One deadline for the whole call, set now: a task that only starts after it (the blocking
    // pool was busy) does nothing, so an answer of 503 is never followed by the write.
    let deadline = std::time::Instant::now() + bound;
    let pool = pool.clone();
    let task = tokio::task::spawn_blocking(move || {
        let remaining = deadline.saturating_duration_since(std::time::Instant::now());
        if remaining.is_zero() {
            return Err(StoreError::Unavailable("the call waited past its deadline".into()).into());
        }
        with_connection_within(&pool, remaining, f)
    });
    match tokio::time::timeout(bound, task).await {
        Ok(done) => done.map_err(|e| StoreError::Unavailable(format!("store task failed: {e}")))?,
        Err(_) => Err(StoreError::Unavailable(format!(
            "the database did not answer within {} ms",
            bound.as_millis()
        ))
        .into()),
    }
}

/// `with_connection`, waiting at most `timeout` for the pooled connection.
fn with_connection_within<T, E>(
    pool: &Pool,
    timeout: std::time::Duration,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError> + Transient,
{
    let started = std::time::Instant::now();
    let mut conn = pool.get_timeout(timeout).map_err(StoreError::from)?;
    crate::metrics::observe_pool_wait(started.elapsed());
    let result = f(&mut conn);
    if let Err(e) = &result
        && e.is_transient()
    {
        conn.broken = true;
    }
    result
}

/// Lifts `statement_timeout` on a connection that runs migrations (which may take long, and
/// may wait for another instance's migrations under the advisory lock).
pub fn allow_long_statements(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        pg.batch_execute("SET statement_timeout = 0")?;
    }
    Ok(())
}

/// Initializes OpenSSL (used by libpq for `sslmode`) without its exit-time cleanup: otherwise
/// `exit()` can tear OpenSSL down while a pool or listener thread is still inside libpq, and
/// the process dies of a signal after its work is done. Idempotent; call before any libpq use.
pub fn init_tls() {
    openssl_sys::init();
}

/// Runs the pending migrations of the connection's backend; returns how many ran. A SQLite
/// file is switched to WAL first, so readers run beside the single writer.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, MigrationError> {
    match conn {
        DbConnection::Pg(c) => {
            // Instances starting together take turns: one runs the migrations, the others
            // then find nothing pending (instead of racing on CREATE TYPE and crashing).
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let ran = refuse_an_incompatible_schema(pg_schema_status(c))
                .and_then(|()| c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.len()));
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            Ok(ran?)
        }
        DbConnection::Sqlite(c) => {
            // SQLite answers "database is locked" at once, without waiting in busy_timeout,
            // in some of these steps (switching to WAL while another process does): retry.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                match migrate_sqlite(c) {
                    Err(e)
                        if e.to_string().contains("database is locked")
                            && std::time::Instant::now() < deadline =>
                    {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    done => return done,
                }
            }
        }
    }
}

fn migrate_sqlite(c: &mut SqliteConnection) -> Result<usize, MigrationError> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    c.batch_execute("PRAGMA journal_mode = WAL;")?;
    // Processes sharing the file take turns, as instances on Postgres do under the advisory
    // lock: an exclusive transaction around all of it (each migration's own transaction
    // becomes a savepoint inside), waiting in busy_timeout.
    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN EXCLUSIVE")?;
    let ran = refuse_an_incompatible_schema(sqlite_schema_status(c))
        .and_then(|()| c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()));
    match ran {
        Ok(ran) => {
            AnsiTransactionManager::commit_transaction(c)?;
            Ok(ran)
        }
        Err(e) => {
            let _ = AnsiTransactionManager::rollback_transaction(c);
            Err(e)
        }
    }
}

/// The oldest migration whose binaries work with migration `$version`, as the database
/// records it (one backend's connection).
macro_rules! oldest_compatible {
    ($conn:expr, $version:expr) => {
        schema::schema_compatibility::table
            .find($version)
            .select(schema::schema_compatibility::oldest_compatible)
            .first::<String>($conn)
            .ok()
    };
}

fn pg_schema_status(c: &mut PgConnection) -> Result<schema_version::SchemaStatus, MigrationError> {
    let versions = schema_version::versions(c, &PG_MIGRATIONS)?;
    Ok(schema_version::status("Postgres", versions, |v| {
        oldest_compatible!(c, v)
    }))
}

fn sqlite_schema_status(
    c: &mut SqliteConnection,
) -> Result<schema_version::SchemaStatus, MigrationError> {
    let versions = schema_version::versions(c, &SQLITE_MIGRATIONS)?;
    Ok(schema_version::status("SQLite", versions, |v| {
        oldest_compatible!(c, v)
    }))
}

/// Why a backup was not written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "orgauth backup copies a SQLite database; for Postgres use pg_dump (README: \"Backup \
         and restore\")"
    )]
    Postgres,
    #[error("{0} exists already: give a new file")]
    Exists(std::path::PathBuf),
    #[error("{0}: the path must be UTF-8 and not a file: URI")]
    Path(std::path::PathBuf),
    #[error("backup failed: {0}")]
    Sqlite(#[from] diesel::result::Error),
    #[error("backup failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes a consistent copy of the SQLite database to the new file `path` while others keep
/// reading and writing (`VACUUM INTO` reads one snapshot, WAL included; the copy is compacted
/// and has no WAL of its own, unlike a `cp` of the file). Returns its size.
pub fn backup(conn: &mut DbConnection, path: &std::path::Path) -> Result<u64, BackupError> {
    let DbConnection::Sqlite(c) = conn else {
        return Err(BackupError::Postgres);
    };
    let text = path
        .to_str()
        .ok_or_else(|| BackupError::Path(path.to_owned()))?;
    // SQLite reads `file:` names as URIs (another path, other options): never here.
    if text.starts_with("file:") {
        return Err(BackupError::Path(path.to_owned()));
    }
    // Created empty first, the owner's only (client secret hashes, sealed keys): VACUUM INTO
    // fills an empty file and never overwrites one with content.
    {
        use std::os::unix::fs::OpenOptionsExt;
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BackupError::Exists(path.to_owned()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Err(e) = c.batch_execute(&format!("VACUUM INTO '{}'", text.replace('\'', "''"))) {
        let _ = std::fs::remove_file(path);
        return Err(e.into());
    }
    Ok(std::fs::metadata(path)?.len())
}

/// Where the database's schema stands against this binary's migrations; runs none.
pub fn schema_status(
    conn: &mut DbConnection,
) -> Result<schema_version::SchemaStatus, MigrationError> {
    match conn {
        DbConnection::Pg(c) => pg_schema_status(c),
        DbConnection::Sqlite(c) => sqlite_schema_status(c),
    }
}

/// Stops before any migration runs when a newer release's migration does not accept this
/// binary (a downgrade, or an upgrade skipped past a breaking change).
fn refuse_an_incompatible_schema(
    status: Result<schema_version::SchemaStatus, MigrationError>,
) -> Result<(), MigrationError> {
    let status = status?;
    if !status.compatible() {
        return Err(status.refusal().into());
    }
    if !status.unknown.is_empty() {
        log::warn!(
            "the {} database's schema is at {}, newer than this binary's {}: running beside a \
             newer release (its migrations accept this one)",
            status.backend,
            status.database_newest.as_deref().unwrap_or("?"),
            status.binary_newest
        );
    }
    Ok(())
}

/// Postgres advisory lock keys of the start-up steps that must run once across instances.
const MIGRATION_LOCK: i64 = 0x6f72_6761_7574_6801; // "orgauth" + 1
const BOOTSTRAP_LOCK: i64 = 0x6f72_6761_7574_6802;
const SIGNING_KEYS_LOCK: i64 = 0x6f72_6761_7574_6803;

/// Inside a write transaction: one instance at a time decides about signing keys (the first
/// key, an automatic rotation).
pub fn lock_for_signing_keys(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        pg.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({SIGNING_KEYS_LOCK})"
        ))?;
    }
    Ok(())
}

/// Inside a write transaction: waits until no other instance is bootstrapping, so that
/// "the database holds no client" is decided by one of them (Postgres: a transaction-level
/// advisory lock; SQLite's write transaction holds the database lock already).
pub fn lock_for_bootstrap(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        pg.batch_execute(&format!("SELECT pg_advisory_xact_lock({BOOTSTRAP_LOCK})"))?;
    }
    Ok(())
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
