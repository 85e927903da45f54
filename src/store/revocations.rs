use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::revoked_tokens;

pub fn is_revoked(conn: &mut DbConnection, jti: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(revoked_tokens::table.find(jti))).get_result(conn)
}

/// Unexpired revocations, at most `limit` of them: what an instance keeps in memory.
pub fn unexpired(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    revoked_tokens::table
        .filter(revoked_tokens::expires_at.ge(now))
        .select((revoked_tokens::jti, revoked_tokens::expires_at))
        .limit(limit)
        .load(conn)
}

/// The `store::changes` subject that tells every instance a token was revoked.
pub const CHANGE_PREFIX: &str = "token:";

pub fn change_subject(jti: &str, expires_at: NaiveDateTime) -> String {
    format!("{CHANGE_PREFIX}{}:{jti}", expires_at.and_utc().timestamp())
}

/// `(jti, expires_at)` of a revocation's change subject.
pub fn parse_change_subject(subject: &str) -> Option<(&str, i64)> {
    let (exp, jti) = subject.strip_prefix(CHANGE_PREFIX)?.split_once(':')?;
    Some((jti, exp.parse().ok()?))
}

/// Records a revocation (and the change, for the other instances); revoking twice (even at
/// the same moment) is a no-op.
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
            .execute(conn)?;
        super::changes::record_change(conn, &change_subject(jti, expires_at))
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
