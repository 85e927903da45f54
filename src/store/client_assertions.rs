//! Single use of `private_key_jwt` assertions, for every instance: a `jti` is kept per client
//! until its assertion expires; seeing it again is a replay.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use super::DbConnection;
use super::schema::client_assertions;

/// Records the client's assertion `jti` (valid until `expires_at`); `false` when it was already
/// recorded (a replay). The client's expired records go first, so the table holds only
/// unexpired assertions.
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
