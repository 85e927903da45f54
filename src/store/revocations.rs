use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::revoked_tokens;

pub fn is_revoked(conn: &mut DbConnection, jti: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(revoked_tokens::table.find(jti))).get_result(conn)
}

/// Records a revocation; revoking twice (even at the same moment) is a no-op.
pub fn revoke(
    conn: &mut DbConnection,
    jti: &str,
    client_id: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let recorded = super::write_transaction(conn, |conn| {
        if is_revoked(conn, jti)? {
            return Ok(());
        }
        diesel::insert_into(revoked_tokens::table)
            .values((
                revoked_tokens::jti.eq(jti),
                revoked_tokens::client_id.eq(client_id),
                revoked_tokens::expires_at.eq(expires_at),
                revoked_tokens::revoked_at.eq(now),
            ))
            .execute(conn)
            .map(drop)
    });
    match recorded {
        // A concurrent revocation of the same token won the insert: the outcome is the same.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(()),
        other => other,
    }
}

/// Forgets revocations of tokens that have expired anyway.
pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now))).execute(conn)
}
