use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::organizations;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    /// The longest a client secret of this organization may live; `None`: no limit.
    pub max_secret_lifetime_seconds: Option<i64>,
    /// The bootstrap organization: the only one whose members may hold `platform:admin`.
    pub platform: bool,
}

pub fn insert(conn: &mut DbConnection, org: &Organization) -> QueryResult<()> {
    diesel::insert_into(organizations::table)
        .values(org)
        .execute(conn)
        .map(drop)
}

/// The platform organization (the bootstrap organization), if there is one.
pub fn platform(conn: &mut DbConnection) -> QueryResult<Option<Organization>> {
    organizations::table
        .filter(organizations::platform.eq(true))
        .select(Organization::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Organization>> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
        .optional()
}

/// Up to `limit` organizations after `after` (creation time, ID), oldest first.
pub fn page(
    conn: &mut DbConnection,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Organization>> {
    let mut query = organizations::table
        .select(Organization::as_select())
        .order((organizations::created_at.asc(), organizations::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            organizations::created_at
                .gt(at)
                .or(organizations::created_at
                    .eq(at)
                    .and(organizations::id.gt(id))),
        );
    }
    query.load(conn)
}

/// Renames; false if there is no such organization.
pub fn rename(conn: &mut DbConnection, id: &str, name: &str) -> QueryResult<bool> {
    diesel::update(organizations::table.find(id))
        .set(organizations::name.eq(name))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn set_max_secret_lifetime(
    conn: &mut DbConnection,
    id: &str,
    seconds: Option<i64>,
) -> QueryResult<bool> {
    diesel::update(organizations::table.find(id))
        .set(organizations::max_secret_lifetime_seconds.eq(seconds))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Organization>> {
    organizations::table
        .select(Organization::as_select())
        .order((organizations::created_at, organizations::id))
        .load(conn)
}

/// Locks the organization's row until the transaction ends (a no-op update): changes to its
/// members that check a count (the last admin) run one at a time.
pub fn lock(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    diesel::update(organizations::table.find(id))
        .set(organizations::id.eq(organizations::id))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn mark_platform(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(organizations::table.find(id))
        .set(organizations::platform.eq(true))
        .execute(conn)
        .map(drop)
}
