use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{client_roles, clients};

/// A client row. Holds hashes, so it is never serialized: views are built from it.
#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
pub struct ClientRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub secret_hash: String,
    pub secret_hint: String,
    pub previous_secret_hash: Option<String>,
    pub previous_secret_expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub secret_rotated_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

/// What the token endpoint needs to authenticate a client and fill its token.
pub struct ClientCredentials {
    pub id: String,
    pub org_id: String,
    pub secret_hash: String,
    /// The pre-rotation hash and the end of its grace period, if one is running.
    pub previous_secret: Option<(String, NaiveDateTime)>,
    /// Sorted by name.
    pub roles: Vec<String>,
}

/// Inserts the client and its roles in one transaction.
pub fn insert(conn: &mut DbConnection, row: &ClientRow, roles: &[String]) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::insert_into(clients::table)
            .values(row)
            .execute(conn)?;
        for role in roles {
            diesel::insert_into(client_roles::table)
                .values((
                    client_roles::client_id.eq(&row.id),
                    client_roles::role_name.eq(role),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    clients::table.count().get_result(conn)
}

pub fn roles_of(conn: &mut DbConnection, client_id: &str) -> QueryResult<Vec<String>> {
    client_roles::table
        .filter(client_roles::client_id.eq(client_id))
        .select(client_roles::role_name)
        .order(client_roles::role_name)
        .load(conn)
}

pub fn find_credentials(
    conn: &mut DbConnection,
    client_id: &str,
) -> QueryResult<Option<ClientCredentials>> {
    let row: Option<(String, String, Option<String>, Option<NaiveDateTime>)> = clients::table
        .find(client_id)
        .select((
            clients::org_id,
            clients::secret_hash,
            clients::previous_secret_hash,
            clients::previous_secret_expires_at,
        ))
        .first(conn)
        .optional()?;
    let Some((org_id, secret_hash, previous_hash, previous_expires)) = row else {
        return Ok(None);
    };
    Ok(Some(ClientCredentials {
        id: client_id.to_owned(),
        org_id,
        secret_hash,
        previous_secret: previous_hash.zip(previous_expires),
        roles: roles_of(conn, client_id)?,
    }))
}
