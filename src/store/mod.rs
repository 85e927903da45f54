//! The store: one diesel connection type over Postgres (production) and SQLite (the embedded
//! default), an r2d2 pool of it, embedded migrations per backend, and one module per table
//! group. Each use case is one function; where it writes, it writes in one transaction.
//!
//! Queries go through `DbConnection`, a `diesel::MultiConnection`, so there is one code path
//! for both backends. Its limits shape the queries: no `RETURNING`, no multi-row insert, no
//! upsert, and timestamps are UTC `NaiveDateTime` truncated to microseconds (Postgres'
//! precision) so both backends round-trip the same value.

pub mod audit;
pub mod clients;
pub mod organizations;
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
                message.contains("database is locked")
                    || message.contains("server closed the connection")
                    || message.contains("terminating connection")
                    || message.contains("no connection to the server")
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
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn connect(&self) -> Result<DbConnection, diesel::ConnectionError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(DbConnection::Pg),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
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

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        ConnectionManager::connect(self).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
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
        .build_unchecked(ConnectionManager::new(url.clone()))
}

/// Runs the pending migrations of the connection's backend; returns how many ran. A SQLite
/// file is switched to WAL first, so readers run beside the single writer.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, String> {
    let ran = match conn {
        DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.len()),
        DbConnection::Sqlite(c) => {
            c.batch_execute("PRAGMA journal_mode = WAL;")
                .map_err(|e| e.to_string())?;
            c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len())
        }
    };
    ran.map_err(|e| e.to_string())
}

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
