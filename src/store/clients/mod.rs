use chrono::NaiveDateTime;
use diesel::prelude::*;

mod credentials;
mod list;

pub use self::credentials::{
    Admission, ClientCredentials, Credential, Presented, find_credentials,
    recently_used_credentials,
};
pub use self::list::{ClientFilter, ClientKey, ClientOrder, count_matching, page, roles_of_many};

use super::DbConnection;
use super::schema::{client_roles, clients};
use crate::domain::{AuthMethod, SecretHash};

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
    pub description: String,
    /// Refuses every credential and token of the client while set.
    pub disabled: bool,
    /// The client's own token lifetime (at most the server's); `None`: the server's.
    pub token_ttl_seconds: Option<i64>,
    /// When the current secret stops working; `None`: never.
    pub secret_expires_at: Option<NaiveDateTime>,
    /// `client_secret_basic` or `private_key_jwt`.
    pub token_endpoint_auth_method: String,
    /// The registered public keys (a JWK set as JSON text), for `private_key_jwt`.
    pub jwks: Option<String>,
    /// Or where the client publishes them.
    pub jwks_uri: Option<String>,
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

/// How many client secrets expire after `after` (exclusive; `None`: any time before) and at
/// or before `until`.
pub fn count_secrets_expiring(
    conn: &mut DbConnection,
    after: Option<NaiveDateTime>,
    until: NaiveDateTime,
) -> QueryResult<i64> {
    let mut query = clients::table
        .filter(clients::secret_expires_at.le(until))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(clients::secret_expires_at.gt(after));
    }
    query.count().get_result(conn)
}

/// The client's name, if it exists.
pub fn name_of(conn: &mut DbConnection, client_id: &str) -> QueryResult<Option<String>> {
    clients::table
        .find(client_id)
        .select(clients::name)
        .first(conn)
        .optional()
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

/// What a change writes to a client's own columns: `None` leaves a column as it is,
/// `Some(None)` clears a nullable one. One UPDATE for every field of a PATCH.
#[derive(AsChangeset)]
#[diesel(table_name = clients)]
pub struct ClientChanges<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub disabled: Option<bool>,
    pub token_ttl_seconds: Option<Option<i64>>,
    /// Tokens issued up to this instant are revoked (see `revokes_token_issued_at`).
    pub tokens_not_before: Option<Option<NaiveDateTime>>,
    pub token_endpoint_auth_method: Option<&'a str>,
    pub jwks: Option<Option<&'a str>>,
    pub jwks_uri: Option<Option<&'a str>>,
    pub secret_hash: Option<&'a str>,
    pub secret_hint: Option<&'a str>,
    pub previous_secret_hash: Option<Option<&'a str>>,
    pub previous_secret_expires_at: Option<Option<NaiveDateTime>>,
    pub secret_expires_at: Option<Option<NaiveDateTime>>,
    pub updated_at: NaiveDateTime,
}

impl<'a> ClientChanges<'a> {
    /// Nothing but `updated_at`.
    pub fn at(now: NaiveDateTime) -> Self {
        Self {
            name: None,
            description: None,
            disabled: None,
            token_ttl_seconds: None,
            tokens_not_before: None,
            token_endpoint_auth_method: None,
            jwks: None,
            jwks_uri: None,
            secret_hash: None,
            secret_hint: None,
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            secret_expires_at: None,
            updated_at: now,
        }
    }

    /// Revokes the client's tokens issued up to `cutoff` (see `revokes_token_issued_at`).
    pub fn cutting_off_tokens(mut self, cutoff: NaiveDateTime) -> Self {
        self.tokens_not_before = Some(Some(cutoff));
        self
    }

    /// Makes the client authenticate with keys (`private_key_jwt`: its secrets are dropped,
    /// and the stored hash verifies nothing) or with a secret again (it gets one by a
    /// rotation).
    pub fn auth_method(
        mut self,
        method: AuthMethod,
        jwks: Option<&'a str>,
        jwks_uri: Option<&'a str>,
    ) -> Self {
        if method == AuthMethod::PrivateKeyJwt {
            self.secret_hash = Some(NO_SECRET);
            self.secret_hint = Some("");
            self.previous_secret_hash = Some(None);
            self.previous_secret_expires_at = Some(None);
            self.secret_expires_at = Some(None);
        }
        self.token_endpoint_auth_method = Some(method.as_str());
        self.jwks = Some(jwks);
        self.jwks_uri = Some(jwks_uri);
        self
    }
}

/// Writes `changes` to the client's row.
pub fn update(
    conn: &mut DbConnection,
    client_id: &str,
    changes: &ClientChanges<'_>,
) -> QueryResult<usize> {
    diesel::update(clients::table.find(client_id))
        .set(changes)
        .execute(conn)
}

/// What a client without a secret stores as its secret hash: not a PHC string, so no secret
/// ever verifies against it. Only this module writes it; records built from a row never
/// carry it as a hash (`ClientCredentials`: a key client has no secret).
pub const NO_SECRET: &str = "!no-secret";

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
    /// When the new secret stops working.
    pub expires_at: Option<NaiveDateTime>,
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
            clients::secret_expires_at.eq(rotation.expires_at),
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
