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
}

pub fn insert(conn: &mut DbConnection, org: &Organization) -> QueryResult<()> {
    diesel::insert_into(organizations::table)
        .values(org)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Organization>> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Organization>> {
    organizations::table
        .select(Organization::as_select())
        .order((organizations::created_at, organizations::id))
        .load(conn)
}
