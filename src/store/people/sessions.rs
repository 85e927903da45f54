use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::schema::{memberships, sessions, sso_connections, users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct Session {
    /// The public id (`ses_…`), shown in session lists and the audit log.
    pub id: String,
    /// `domain::hash_text` of the cookie's value.
    pub token_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    /// `passkey`, `invitation` (a passkey registered from an invitation) or `sso`.
    pub method: String,
    pub created_at: NaiveDateTime,
    /// The last sign-in or step-up.
    pub authenticated_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    /// The absolute limit.
    pub expires_at: NaiveDateTime,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    /// The passkey that signed it in (its removal ends the session).
    pub passkey_id: Option<String>,
    /// The organization whose IdP signed it in (single sign-on): such a session acts in that
    /// organization only.
    pub sso_org_id: Option<String>,
}

pub fn insert(conn: &mut DbConnection, session: &Session) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)
        .map(drop)
}

/// One row of `find_live`: the session, the user's e-mail and name, one membership (if any).
type SessionRow = (
    Session,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<bool>,
);

/// A live session, its user's e-mail and name, and their memberships.
pub struct LiveSession {
    pub session: Session,
    pub email: String,
    pub name: String,
    pub memberships: Vec<super::memberships::MembershipRow>,
}

/// The live session behind a cookie, its user and their memberships, in one query:
/// unexpired, seen within `idle_since`, its user not disabled. (Every admin request made with
/// a cookie runs it.)
pub fn find_live(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
    idle_since: NaiveDateTime,
) -> QueryResult<Option<LiveSession>> {
    let rows: Vec<SessionRow> = sessions::table
        .inner_join(users::table.left_join(memberships::table.left_join(sso_connections::table)))
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(idle_since))
        .filter(users::disabled.eq(false))
        .select((
            Session::as_select(),
            users::email,
            users::name,
            memberships::org_id.nullable(),
            memberships::role.nullable(),
            sso_connections::require_sso.nullable(),
        ))
        .order(memberships::org_id.nullable())
        .load(conn)?;
    let mut rows = rows.into_iter();
    let Some((session, email, name, org, role, sso)) = rows.next() else {
        return Ok(None);
    };
    let memberships = std::iter::once((org, role, sso))
        .chain(rows.map(|(_, _, _, org, role, sso)| (org, role, sso)))
        .filter_map(|(org, role, sso)| {
            Some(super::memberships::MembershipRow {
                org_id: org?,
                role: role?,
                requires_sso: sso.unwrap_or(false),
            })
        })
        .collect();
    Ok(Some(LiveSession {
        session,
        email,
        name,
        memberships,
    }))
}

pub fn touch(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_seen_at.eq(at))
        .execute(conn)
        .map(drop)
}

pub fn of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .select(Session::as_select())
        .order((sessions::created_at.desc(), sessions::id))
        .load(conn)
}

pub fn delete(conn: &mut DbConnection, user_id: &str, id: &str) -> QueryResult<bool> {
    diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user_id)),
    )
    .execute(conn)
    .map(|n| n == 1)
}

/// Every session of the user but `keep`; how many ended.
pub fn delete_others(conn: &mut DbConnection, user_id: &str, keep: &str) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(keep)),
    )
    .execute(conn)
}

/// Every session a passkey signed in; how many ended.
pub fn delete_by_passkey(
    conn: &mut DbConnection,
    user_id: &str,
    passkey_id: &str,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::passkey_id.eq(passkey_id)),
    )
    .execute(conn)
}

pub fn delete_all(conn: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

pub fn prune(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    idle_since: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .le(now)
                .or(sessions::last_seen_at.le(idle_since)),
        ),
    )
    .execute(conn)
}

pub fn delete_by_hash(conn: &mut DbConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash))).execute(conn)
}
