//! Signing keys, shared by every instance: the private key sealed under the key-encryption key
//! (the store never sees it in the clear), and when it starts signing.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::signing_keys;

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct StoredKey {
    pub kid: String,
    pub alg: String,
    /// `nonce ‖ AES-256-GCM(PKCS#8 DER)`, the kid as associated data.
    pub sealed_private_key: Vec<u8>,
    pub created_at: NaiveDateTime,
    pub activates_at: NaiveDateTime,
}

/// Every stored key, in activation order.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<StoredKey>> {
    signing_keys::table
        .select(StoredKey::as_select())
        .order((signing_keys::activates_at.asc(), signing_keys::kid.asc()))
        .load(conn)
}

pub fn insert(conn: &mut DbConnection, key: &StoredKey) -> QueryResult<()> {
    diesel::insert_into(signing_keys::table)
        .values(key)
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut DbConnection, kid: &str) -> QueryResult<()> {
    diesel::delete(signing_keys::table.find(kid))
        .execute(conn)
        .map(drop)
}
