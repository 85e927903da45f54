//! Signing keys, shared by every instance: the private key sealed under the key-encryption key
//! (the store never sees it in the clear), and when it starts signing.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{revoked_signing_keys, signing_keys};

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

/// A key pulled before its time, kept until no token it signed can still be unexpired.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = revoked_signing_keys)]
pub struct RevokedKey {
    pub kid: String,
    pub activated_at: NaiveDateTime,
    pub revoked_at: NaiveDateTime,
}

/// Records a revocation (call it under the signing-keys lock).
pub fn insert_revoked(conn: &mut DbConnection, key: &RevokedKey) -> QueryResult<()> {
    let known: bool = diesel::select(diesel::dsl::exists(
        revoked_signing_keys::table.find(&key.kid),
    ))
    .get_result(conn)?;
    if !known {
        diesel::insert_into(revoked_signing_keys::table)
            .values(key)
            .execute(conn)?;
    }
    Ok(())
}

pub fn revoked(conn: &mut DbConnection) -> QueryResult<Vec<RevokedKey>> {
    revoked_signing_keys::table
        .select(RevokedKey::as_select())
        .order(revoked_signing_keys::revoked_at.asc())
        .load(conn)
}

/// Forgets revocations older than `before` (every token they concern has expired).
pub fn prune_revoked(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(revoked_signing_keys::table.filter(revoked_signing_keys::revoked_at.lt(before)))
        .execute(conn)
}

/// Replaces a key's sealed private key (a re-wrap under another key-encryption key).
pub fn update_sealed(conn: &mut DbConnection, kid: &str, sealed: &[u8]) -> QueryResult<()> {
    diesel::update(signing_keys::table.find(kid))
        .set(signing_keys::sealed_private_key.eq(sealed))
        .execute(conn)
        .map(drop)
}
