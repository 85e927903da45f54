use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::schema::invitations;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub role: String,
    /// `domain::hash_text` of the token in the link.
    pub token_hash: String,
    /// The inviter (a user or client id, or the operator).
    pub invited_by: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, invitation: &Invitation) -> QueryResult<()> {
    diesel::insert_into(invitations::table)
        .values(invitation)
        .execute(conn)
        .map(drop)
}

/// The pending invitation behind a link: unexpired, neither used nor revoked (both delete it).
pub fn find_pending(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .filter(invitations::expires_at.gt(now))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// A pending invitation of `org_id` for `email` (the newest, if several).
pub fn find_pending_for(
    conn: &mut DbConnection,
    org_id: &str,
    email: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::org_id.eq(org_id))
        .filter(invitations::email.eq(email))
        .filter(invitations::expires_at.gt(now))
        .order(invitations::created_at.desc())
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConnection, org_id: &str, id: &str) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::id.eq(id))
        .filter(invitations::org_id.eq(org_id))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// Up to `limit` unexpired invitations after `after` (created_at, id), oldest first.
pub fn page_pending(
    conn: &mut DbConnection,
    org_id: &str,
    now: NaiveDateTime,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Invitation>> {
    let mut query = invitations::table
        .filter(invitations::org_id.eq(org_id))
        .filter(invitations::expires_at.gt(now))
        .select(Invitation::as_select())
        .order((invitations::created_at, invitations::id))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            invitations::created_at
                .gt(at)
                .or(invitations::created_at.eq(at).and(invitations::id.gt(id))),
        );
    }
    query.load(conn)
}

/// Used or revoked: gone. `false` when another request took it first.
pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    diesel::delete(invitations::table.find(id))
        .execute(conn)
        .map(|n| n == 1)
}

/// Every pending invitation `invited_by` created in the organization (they lost the power to
/// hand it out); how many.
pub fn delete_by_inviter(
    conn: &mut DbConnection,
    org_id: &str,
    invited_by: &str,
) -> QueryResult<usize> {
    diesel::delete(
        invitations::table
            .filter(invitations::org_id.eq(org_id))
            .filter(invitations::invited_by.eq(invited_by)),
    )
    .execute(conn)
}

pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(invitations::table.filter(invitations::expires_at.le(now))).execute(conn)
}
