use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{client_roles, clients};
use crate::domain::{RoleSet, SecretHash};

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
    /// Tokens issued before this instant are revoked.
    pub tokens_not_before: Option<NaiveDateTime>,
}

/// What the token endpoint needs to authenticate a client and fill its token.
pub struct ClientCredentials {
    pub id: String,
    pub org_id: String,
    pub secret_hash: String,
    /// The pre-rotation hash and the end of its grace period, if one is running.
    pub previous_secret: Option<(String, NaiveDateTime)>,
    pub roles: RoleSet,
    /// Tokens issued before this instant are revoked.
    pub tokens_not_before: Option<NaiveDateTime>,
}

impl ClientCredentials {
    /// Whether a token of this client issued at `iat` (whole seconds) is revoked by its
    /// `tokens_not_before` cut-off (set a little ahead of the revocation: see
    /// `service::clients::TOKEN_CUTOFF_MARGIN`). `iat` has no sub-second part, so the whole
    /// second of the cut-off counts as before it; the token endpoint holds this client's tokens
    /// until that second is over (`token_wait`), so no token it issues once it knows of the
    /// revocation is caught by it.
    pub fn revokes_token_issued_at(&self, iat: i64) -> bool {
        self.tokens_not_before
            .is_some_and(|cutoff| iat <= cutoff.and_utc().timestamp())
    }

    /// How long to wait before issuing a token whose `iat` would fall in the cut-off's second.
    pub fn token_wait(&self, now: chrono::DateTime<chrono::Utc>) -> Option<std::time::Duration> {
        let cutoff = self.tokens_not_before?.and_utc().timestamp();
        let next_second = chrono::DateTime::from_timestamp(cutoff + 1, 0)?;
        (next_second > now).then(|| (next_second - now).to_std().unwrap_or_default())
    }
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
    type Row = (
        String,
        String,
        Option<String>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let row: Option<Row> = clients::table
        .find(client_id)
        .select((
            clients::org_id,
            clients::secret_hash,
            clients::previous_secret_hash,
            clients::previous_secret_expires_at,
            clients::tokens_not_before,
        ))
        .first(conn)
        .optional()?;
    let Some((org_id, secret_hash, previous_hash, previous_expires, tokens_not_before)) = row
    else {
        return Ok(None);
    };
    Ok(Some(ClientCredentials {
        id: client_id.to_owned(),
        org_id,
        secret_hash,
        previous_secret: previous_hash.zip(previous_expires),
        roles: RoleSet::from_stored(roles_of(conn, client_id)?),
        tokens_not_before,
    }))
}

/// The credentials of up to `limit` clients, the most recently used first, each with whether
/// it was ever used: what a starting instance loads in one go instead of one query per client
/// as each comes back.
pub fn recently_used_credentials(
    conn: &mut DbConnection,
    limit: i64,
) -> QueryResult<Vec<(ClientCredentials, bool)>> {
    type Row = (
        String,
        String,
        String,
        Option<String>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = clients::table
        .select((
            clients::id,
            clients::org_id,
            clients::secret_hash,
            clients::previous_secret_hash,
            clients::previous_secret_expires_at,
            clients::tokens_not_before,
            clients::last_used_at,
        ))
        // Never-used clients last, on both backends (they sort NULLs differently).
        .order((
            clients::last_used_at.is_null().asc(),
            clients::last_used_at.desc(),
            clients::id,
        ))
        .limit(limit)
        .load(conn)?;
    let mut credentials = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(1000) {
        let ids: Vec<String> = chunk.iter().map(|row| row.0.clone()).collect();
        let mut roles = roles_of_many(conn, &ids)?;
        for (id, org_id, secret_hash, previous_hash, previous_expires, tokens_not_before, used) in
            chunk.iter().cloned()
        {
            let creds = ClientCredentials {
                roles: RoleSet::from_stored(roles.remove(&id).unwrap_or_default()),
                id,
                org_id,
                secret_hash,
                previous_secret: previous_hash.zip(previous_expires),
                tokens_not_before,
            };
            credentials.push((creds, used.is_some()));
        }
    }
    Ok(credentials)
}

pub fn find_in_org(
    conn: &mut DbConnection,
    org_id: &str,
    client_id: &str,
) -> QueryResult<Option<ClientRow>> {
    clients::table
        .find(client_id)
        .filter(clients::org_id.eq(org_id))
        .select(ClientRow::as_select())
        .first(conn)
        .optional()
}

/// Oldest first, paged by (created_at, id); `after` is the last row of the previous page.
pub fn page(
    conn: &mut DbConnection,
    org_id: &str,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<ClientRow>> {
    let mut query = clients::table
        .filter(clients::org_id.eq(org_id))
        .select(ClientRow::as_select())
        .order((clients::created_at.asc(), clients::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            clients::created_at
                .gt(at)
                .or(clients::created_at.eq(at).and(clients::id.gt(id))),
        );
    }
    query.load(conn)
}

/// The roles of each of `client_ids`, sorted by name.
pub fn roles_of_many(
    conn: &mut DbConnection,
    client_ids: &[String],
) -> QueryResult<std::collections::HashMap<String, Vec<String>>> {
    let pairs: Vec<(String, String)> = client_roles::table
        .filter(client_roles::client_id.eq_any(client_ids))
        .select((client_roles::client_id, client_roles::role_name))
        .order((client_roles::client_id, client_roles::role_name))
        .load(conn)?;
    let mut map = std::collections::HashMap::new();
    for (client, role) in pairs {
        map.entry(client).or_insert_with(Vec::new).push(role);
    }
    Ok(map)
}

pub fn set_name(
    conn: &mut DbConnection,
    client_id: &str,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(clients::table.find(client_id))
        .set((clients::name.eq(name), clients::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

/// Replaces the client's roles (call inside a transaction).
pub fn replace_roles(
    conn: &mut DbConnection,
    client_id: &str,
    roles: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(client_roles::table.filter(client_roles::client_id.eq(client_id)))
        .execute(conn)?;
    for role in roles {
        diesel::insert_into(client_roles::table)
            .values((
                client_roles::client_id.eq(client_id),
                client_roles::role_name.eq(role),
            ))
            .execute(conn)?;
    }
    diesel::update(clients::table.find(client_id))
        .set(clients::updated_at.eq(now))
        .execute(conn)
        .map(drop)
}

pub struct SecretRotation<'a> {
    pub secret_hash: &'a SecretHash,
    pub secret_hint: &'a str,
    /// The outgoing hash and when it stops working, or `None` to end it at once.
    pub previous: Option<(&'a str, NaiveDateTime)>,
    pub now: NaiveDateTime,
}

pub fn rotate_secret(
    conn: &mut DbConnection,
    client_id: &str,
    rotation: &SecretRotation<'_>,
) -> QueryResult<()> {
    diesel::update(clients::table.find(client_id))
        .set((
            clients::secret_hash.eq(rotation.secret_hash.as_str()),
            clients::secret_hint.eq(rotation.secret_hint),
            clients::previous_secret_hash.eq(rotation.previous.map(|p| p.0)),
            clients::previous_secret_expires_at.eq(rotation.previous.map(|p| p.1)),
            clients::secret_rotated_at.eq(Some(rotation.now)),
            clients::updated_at.eq(rotation.now),
        ))
        .execute(conn)
        .map(drop)
}

/// Takes the client's row lock for the rest of the transaction (Postgres; a SQLite write
/// transaction holds the database lock already). `false` when the client is not in `org_id`.
pub fn lock(conn: &mut DbConnection, org_id: &str, client_id: &str) -> QueryResult<bool> {
    let touched = diesel::update(
        clients::table
            .find(client_id)
            .filter(clients::org_id.eq(org_id)),
    )
    .set(clients::id.eq(clients::id))
    .execute(conn)?;
    Ok(touched == 1)
}

/// Replaces the current secret hash by a re-hash of the same secret (new cost), unless the
/// secret changed meanwhile. Returns whether it did.
pub fn upgrade_secret_hash(
    conn: &mut DbConnection,
    client_id: &str,
    old: &str,
    new: &SecretHash,
) -> QueryResult<bool> {
    let updated = diesel::update(
        clients::table
            .find(client_id)
            .filter(clients::secret_hash.eq(old)),
    )
    .set(clients::secret_hash.eq(new.as_str()))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Revokes the client's tokens issued up to `cutoff` (see `revokes_token_issued_at`).
pub fn set_tokens_not_before(
    conn: &mut DbConnection,
    client_id: &str,
    cutoff: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(clients::table.find(client_id))
        .set((
            clients::tokens_not_before.eq(Some(cutoff)),
            clients::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut DbConnection, client_id: &str) -> QueryResult<usize> {
    diesel::delete(clients::table.find(client_id)).execute(conn)
}

/// Records when clients last obtained a token (batched by the caller).
/// `set_last_used` for many clients used at the same `at`, in one statement.
pub fn set_last_used_many(
    conn: &mut DbConnection,
    client_ids: &[String],
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(clients::table.filter(clients::id.eq_any(client_ids)))
        .filter(
            clients::last_used_at
                .is_null()
                .or(clients::last_used_at.lt(at)),
        )
        .set(clients::last_used_at.eq(Some(at)))
        .execute(conn)
        .map(drop)
}

pub fn exists(conn: &mut DbConnection, client_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(clients::table.find(client_id))).get_result(conn)
}
