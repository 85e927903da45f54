//! Single use of `private_key_jwt` assertions, for every instance: a `jti` is kept per client
//! until its assertion expires; seeing it again is a replay.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use super::DbConnection;
use super::schema::client_assertions;

static SQLITE_INSERTS: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// Records the client's assertion `jti`, to be remembered until `expires_at` (past the last
/// instant any instance could accept it); `false` when it was already recorded (a replay).
/// One insert, nothing else: records past their time are pruned by the maintenance pass
/// (`prune`); one left a little longer only refuses an assertion that has expired anyway.
pub fn record_once(
    conn: &mut DbConnection,
    client_id: &str,
    jti: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    // SQLite has one writer, and its busy handler sleeps in growing steps when writers
    // collide: a burst of assertions queues here instead, each holding the lock for one insert.
    let _one_writer = matches!(conn, DbConnection::Sqlite(_)).then(|| SQLITE_INSERTS.lock());
    let inserted = diesel::insert_into(client_assertions::table)
        .values((
            client_assertions::client_id.eq(client_id),
            client_assertions::jti.eq(jti),
            client_assertions::expires_at.eq(expires_at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Drops every record past its time (those of clients that stopped sending assertions).
pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(client_assertions::table.filter(client_assertions::expires_at.lt(now)))
        .execute(conn)
}
