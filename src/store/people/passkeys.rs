use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::schema::passkeys;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = passkeys)]
pub struct PasskeyRow {
    pub id: String,
    pub user_id: String,
    /// base64url of the credential id.
    pub credential_id: String,
    /// The webauthn-rs `Passkey`, JSON (public key and signature counter).
    pub passkey: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &PasskeyRow) -> QueryResult<()> {
    diesel::insert_into(passkeys::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<PasskeyRow>> {
    passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .select(PasskeyRow::as_select())
        .order((passkeys::created_at, passkeys::id))
        .load(conn)
}

pub fn count_of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<i64> {
    passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

/// After a sign-in: the new counter (and backup state) and when it was used.
pub fn used(
    conn: &mut DbConnection,
    id: &str,
    passkey: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(passkeys::table.find(id))
        .set((passkeys::passkey.eq(passkey), passkeys::last_used_at.eq(at)))
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut DbConnection, user_id: &str, id: &str) -> QueryResult<bool> {
    diesel::delete(
        passkeys::table
            .filter(passkeys::id.eq(id))
            .filter(passkeys::user_id.eq(user_id)),
    )
    .execute(conn)
    .map(|n| n == 1)
}
