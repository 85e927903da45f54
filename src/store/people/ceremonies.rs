//! Passkey ceremonies between their options and their answer. Keyed by the challenge's hash,
//! so whichever instance receives the answer finds the state; taken (deleted) exactly once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::schema::passkey_ceremonies;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = passkey_ceremonies)]
pub struct Ceremony {
    pub challenge_hash: String,
    /// `sign_in`, `register` or `invitation`.
    pub purpose: String,
    /// Who registers (`register`).
    pub user_id: Option<String>,
    /// What is accepted (`invitation`).
    pub invitation_id: Option<String>,
    /// The webauthn-rs ceremony state, JSON.
    pub state: String,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, ceremony: &Ceremony) -> QueryResult<()> {
    diesel::insert_into(passkey_ceremonies::table)
        .values(ceremony)
        .execute(conn)
        .map(drop)
}

/// The unexpired ceremony of this challenge, deleted in the same step: a second answer with
/// the same challenge finds nothing, on any instance.
pub fn take(
    conn: &mut DbConnection,
    challenge_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Ceremony>> {
    crate::store::write_transaction(conn, |conn| {
        let found = passkey_ceremonies::table
            .find(challenge_hash)
            .select(Ceremony::as_select())
            .first(conn)
            .optional()?;
        let Some(found) = found else { return Ok(None) };
        let deleted =
            diesel::delete(passkey_ceremonies::table.find(challenge_hash)).execute(conn)?;
        Ok((deleted == 1 && found.expires_at > now).then_some(found))
    })
}

pub fn count_live(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<i64> {
    passkey_ceremonies::table
        .filter(passkey_ceremonies::expires_at.gt(now))
        .count()
        .get_result(conn)
}

pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(passkey_ceremonies::table.filter(passkey_ceremonies::expires_at.le(now)))
        .execute(conn)
}
