use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::revoked_tokens;

/// How long after a token's expiry its revocation is kept: longer than any leeway a check
/// allows (the admin API's is 30 s), so a token that still passes is never forgotten.
pub const KEPT_PAST_EXPIRY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

pub fn is_revoked(conn: &mut DbConnection, jti: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(revoked_tokens::table.find(jti))).get_result(conn)
}

/// The revocations still kept (`KEPT_PAST_EXPIRY`), at most `limit` of them: what an
/// instance holds in memory.
pub fn unexpired(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    revoked_tokens::table
        .filter(revoked_tokens::expires_at.ge(now - KEPT_PAST_EXPIRY))
        .select((revoked_tokens::jti, revoked_tokens::expires_at))
        .limit(limit)
        .load(conn)
}

/// The `store::changes` subjects that tell every instance a token was revoked:
/// `token:<exp as Unix seconds>:<jti>`, recorded by a trigger on `revoked_tokens` (migration
/// 000007), so that revocations made by any release are heard.
pub const CHANGE_PREFIX: &str = "token:";

/// `(jti, expires_at)` of a revocation's change subject.
pub fn parse_change_subject(subject: &str) -> Option<(&str, i64)> {
    let (exp, jti) = subject.strip_prefix(CHANGE_PREFIX)?.split_once(':')?;
    Some((jti, exp.parse().ok()?))
}

/// Records a revocation (its trigger records the change, for the other instances); revoking
/// twice (even at the same moment) is a no-op.
pub fn revoke(
    conn: &mut DbConnection,
    jti: &str,
    client_id: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
    status: Option<(String, i64)>,
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
                revoked_tokens::status_list.eq(status.as_ref().map(|(list, _)| list.as_str())),
                revoked_tokens::status_idx.eq(status.as_ref().map(|(_, idx)| *idx)),
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

/// Forgets revocations of tokens that expired longer than `KEPT_PAST_EXPIRY` ago.
pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    let before = now - KEPT_PAST_EXPIRY;
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(before)))
        .execute(conn)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_revocation_change_subject_names_the_token_and_its_expiry() {
        assert_eq!(
            super::parse_change_subject("token:1798761600:AbC123"),
            Some(("AbC123", 1_798_761_600))
        );
        assert_eq!(super::parse_change_subject("client-id"), None);
        assert_eq!(super::parse_change_subject("token:soon:AbC"), None);
    }
}
