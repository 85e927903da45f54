//! Single use of `private_key_jwt` assertions, for every instance: a `jti` is kept per client
//! until its assertion expires; seeing it again is a replay.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use super::DbConnection;
use super::schema::client_assertions;

/// Records the client's assertion `jti`, to be remembered until `expires_at` (past the last
/// instant any instance could accept it); `false` when it was already recorded (a replay).
/// The client's records past their time go first.
pub fn record_once(
    conn: &mut DbConnection,
    client_id: &str,
    jti: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::delete(
        client_assertions::table
            .filter(client_assertions::client_id.eq(client_id))
            .filter(client_assertions::expires_at.lt(now)),
    )
    .execute(conn)?;
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
