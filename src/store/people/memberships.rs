use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::schema::{memberships, organizations, sso_connections, users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = memberships)]
pub struct Membership {
    pub user_id: String,
    pub org_id: String,
    pub role: String,
    pub created_at: NaiveDateTime,
}

/// A membership with its organization's name (the user menu).
#[derive(Debug, Clone)]
pub struct OrgMembership {
    pub org_id: String,
    pub org_name: String,
    pub role: String,
}

/// A member of an organization, as its members list shows them.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub joined_at: NaiveDateTime,
    pub last_sign_in_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, membership: &Membership) -> QueryResult<()> {
    diesel::insert_into(memberships::table)
        .values(membership)
        .execute(conn)
        .map(drop)
}

/// The user's (organization, role) pairs: what a request's authorization needs.
/// A membership as a session sees it: the organization, the role, and whether the
/// organization requires its members to sign in through its IdP.
#[derive(Debug, Clone)]
pub struct MembershipRow {
    pub org_id: String,
    pub role: String,
    pub requires_sso: bool,
}

/// The user's memberships, each with its organization's `require_sso`.
pub fn rows_of(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<MembershipRow>> {
    let rows: Vec<(String, String, Option<bool>)> = memberships::table
        .left_join(sso_connections::table)
        .filter(memberships::user_id.eq(user_id))
        .select((
            memberships::org_id,
            memberships::role,
            sso_connections::require_sso.nullable(),
        ))
        .order(memberships::org_id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(org_id, role, sso)| MembershipRow {
            org_id,
            role,
            requires_sso: sso.unwrap_or(false),
        })
        .collect())
}

pub fn roles_of(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<(String, String)>> {
    memberships::table
        .filter(memberships::user_id.eq(user_id))
        .select((memberships::org_id, memberships::role))
        .order(memberships::org_id)
        .load(conn)
}

pub fn of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<OrgMembership>> {
    let rows: Vec<(String, String, String)> = memberships::table
        .inner_join(organizations::table)
        .filter(memberships::user_id.eq(user_id))
        .select((memberships::org_id, organizations::name, memberships::role))
        .order((organizations::name, memberships::org_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(org_id, org_name, role)| OrgMembership {
            org_id,
            org_name,
            role,
        })
        .collect())
}

pub fn find(
    conn: &mut DbConnection,
    org_id: &str,
    user_id: &str,
) -> QueryResult<Option<Membership>> {
    memberships::table
        .find((user_id, org_id))
        .select(Membership::as_select())
        .first(conn)
        .optional()
}

/// Up to `limit` members after `after` (joined_at, user id), oldest first.
pub fn page(
    conn: &mut DbConnection,
    org_id: &str,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Member>> {
    let mut query = memberships::table
        .inner_join(users::table)
        .filter(memberships::org_id.eq(org_id))
        .select((
            memberships::user_id,
            users::email,
            users::name,
            memberships::role,
            memberships::created_at,
            users::last_sign_in_at,
        ))
        .order((memberships::created_at, memberships::user_id))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            memberships::created_at.gt(at).or(memberships::created_at
                .eq(at)
                .and(memberships::user_id.gt(id))),
        );
    }
    let rows: Vec<(
        String,
        String,
        String,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
    )> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(user_id, email, name, role, joined_at, last_sign_in_at)| Member {
                user_id,
                email,
                name,
                role,
                joined_at,
                last_sign_in_at,
            },
        )
        .collect())
}

pub fn count_with_role(conn: &mut DbConnection, org_id: &str, role: &str) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::org_id.eq(org_id))
        .filter(memberships::role.eq(role))
        .count()
        .get_result(conn)
}

pub fn set_role(
    conn: &mut DbConnection,
    org_id: &str,
    user_id: &str,
    role: &str,
) -> QueryResult<bool> {
    diesel::update(memberships::table.find((user_id, org_id)))
        .set(memberships::role.eq(role))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn delete(conn: &mut DbConnection, org_id: &str, user_id: &str) -> QueryResult<bool> {
    diesel::delete(memberships::table.find((user_id, org_id)))
        .execute(conn)
        .map(|n| n == 1)
}
