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

pub fn find(conn: &mut DbConnection, name: &str) -> QueryResult<Option<Role>> {
    roles::table
        .find(name)
        .select(Role::as_select())
        .first(conn)
        .optional()
}

/// Whether any client holds the role.
pub fn is_held(conn: &mut DbConnection, name: &str) -> QueryResult<bool> {
    use super::schema::client_roles;
    diesel::select(diesel::dsl::exists(
        client_roles::table.filter(client_roles::role_name.eq(name)),
    ))
    .get_result(conn)
}

pub fn delete(conn: &mut DbConnection, name: &str) -> QueryResult<usize> {
    diesel::delete(roles::table.find(name)).execute(conn)
}
