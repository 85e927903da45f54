use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::roles;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = roles)]
pub struct Role {
    pub name: String,
    pub description: String,
    pub created_at: NaiveDateTime,
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Role>> {
    roles::table
        .select(Role::as_select())
        .order(roles::name)
        .load(conn)
}

/// The names among `names` that are not in the catalog.
pub fn missing(conn: &mut DbConnection, names: &[String]) -> QueryResult<Vec<String>> {
    let known: Vec<String> = roles::table
        .filter(roles::name.eq_any(names))
        .select(roles::name)
        .load(conn)?;
    Ok(names
        .iter()
        .filter(|n| !known.contains(n))
        .cloned()
        .collect())
}

pub fn insert(conn: &mut DbConnection, role: &Role) -> QueryResult<()> {
    diesel::insert_into(roles::table)
        .values(role)
        .execute(conn)
        .map(drop)
}
