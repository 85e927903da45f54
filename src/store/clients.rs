use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{client_roles, clients};
use crate::domain::{AuthMethod, ClientKeys, RoleSet, SecretHash};

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
    pub disabled: bool,
    pub token_ttl_seconds: Option<i64>,
    pub secret_expires_at: Option<NaiveDateTime>,
    pub auth_method: AuthMethod,
    /// The public keys of a `private_key_jwt` client (`None` when it has none usable).
    pub keys: Option<std::sync::Arc<ClientKeys>>,
    /// Or where the client publishes them.
    pub jwks_uri: Option<String>,
}

/// The columns `ClientCredentials` is built from.
#[derive(Queryable, Selectable)]
#[diesel(table_name = clients)]
struct CredentialRow {
    id: String,
    org_id: String,
    secret_hash: String,
    previous_secret_hash: Option<String>,
    previous_secret_expires_at: Option<NaiveDateTime>,
    tokens_not_before: Option<NaiveDateTime>,
    disabled: bool,
    token_ttl_seconds: Option<i64>,
    secret_expires_at: Option<NaiveDateTime>,
    last_used_at: Option<NaiveDateTime>,
    token_endpoint_auth_method: String,
    jwks: Option<String>,
    jwks_uri: Option<String>,
}

impl CredentialRow {
    fn into_credentials(self, roles: Vec<String>) -> ClientCredentials {
        let keys = self.jwks.as_deref().and_then(|text| {
            let value = serde_json::from_str(text).ok()?;
            match ClientKeys::parse(&value) {
                Ok(keys) => Some(std::sync::Arc::new(keys)),
                Err(e) => {
                    log::warn!(client_id = self.id.as_str(); "stored keys are unusable: {e}");
                    None
                }
            }
        });
        ClientCredentials {
            id: self.id,
            org_id: self.org_id,
            secret_hash: self.secret_hash,
            previous_secret: self
                .previous_secret_hash
                .zip(self.previous_secret_expires_at),
            roles: RoleSet::from_stored(roles),
            tokens_not_before: self.tokens_not_before,
            disabled: self.disabled,
            token_ttl_seconds: self.token_ttl_seconds,
            secret_expires_at: self.secret_expires_at,
            // An unknown method refuses every credential (as a key client without keys).
            auth_method: AuthMethod::parse(&self.token_endpoint_auth_method)
                .unwrap_or(AuthMethod::PrivateKeyJwt),
            keys,
            jwks_uri: self.jwks_uri,
        }
    }
}

impl ClientCredentials {
    /// Why the client may not get a token even with the right secret, if it may not.
    pub fn refusal(&self, now: NaiveDateTime) -> Option<&'static str> {
        if self.disabled {
            return Some("the client is disabled");
        }
        None.or_else(|| {
            self.secret_expires_at
                .filter(|at| now >= *at)
                .map(|_| "the client secret has expired")
        })
    }

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
    let row: Option<CredentialRow> = clients::table
        .find(client_id)
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let roles = roles_of(conn, client_id)?;
    Ok(Some(row.into_credentials(roles)))
}

/// The credentials of up to `limit` clients, the most recently used first, each with whether
/// it was ever used: what a starting instance loads in one go instead of one query per client
/// as each comes back.
pub fn recently_used_credentials(
    conn: &mut DbConnection,
    limit: i64,
) -> QueryResult<Vec<(ClientCredentials, bool)>> {
    let rows: Vec<CredentialRow> = clients::table
        .select(CredentialRow::as_select())
        // Never-used clients last, on both backends (they sort NULLs differently).
        .order((
            clients::last_used_at.is_null().asc(),
            clients::last_used_at.desc(),
            clients::id,
        ))
        .limit(limit)
        .load(conn)?;
    let mut roles = std::collections::HashMap::new();
    for chunk in rows.chunks(1000) {
        let ids: Vec<String> = chunk.iter().map(|row| row.id.clone()).collect();
        roles.extend(roles_of_many(conn, &ids)?);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let used = row.last_used_at.is_some();
            let row_roles = roles.remove(&row.id).unwrap_or_default();
            (row.into_credentials(row_roles), used)
        })
        .collect())
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

/// The order of an organization's client list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientOrder {
    CreatedAsc,
    CreatedDesc,
    NameAsc,
    NameDesc,
    /// Never-used clients sort as the least recently used.
    LastUsedAsc,
    LastUsedDesc,
}

/// Where a page starts: the sort key and ID of the previous page's last row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientKey {
    At(NaiveDateTime),
    Name(String),
}

impl ClientOrder {
    /// The key of `row` under this order (for the next page's cursor).
    pub fn key_of(self, row: &ClientRow) -> ClientKey {
        match self {
            Self::CreatedAsc | Self::CreatedDesc => ClientKey::At(row.created_at),
            Self::NameAsc | Self::NameDesc => ClientKey::Name(row.name.clone()),
            Self::LastUsedAsc | Self::LastUsedDesc => ClientKey::At(
                row.last_used_at
                    .unwrap_or(chrono::DateTime::UNIX_EPOCH.naive_utc()),
            ),
        }
    }

    fn descending(self) -> bool {
        matches!(
            self,
            Self::CreatedDesc | Self::NameDesc | Self::LastUsedDesc
        )
    }
}

/// What a client list asks for: a search and an order.
pub struct ClientFilter<'a> {
    pub org_id: &'a str,
    /// A case-insensitive part of the name, or the start of the client ID.
    pub search: Option<&'a str>,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// `last_used_at`, with never as the epoch (both backends compare it with a bound timestamp).
fn last_used_or_epoch() -> diesel::expression::SqlLiteral<diesel::sql_types::Timestamp> {
    diesel::dsl::sql("COALESCE(clients.last_used_at, '1970-01-01 00:00:00')")
}

fn filtered<'a>(filter: &ClientFilter<'_>) -> clients::BoxedQuery<'a, super::MultiBackend> {
    let mut query = clients::table
        .filter(clients::org_id.eq(filter.org_id.to_owned()))
        .into_boxed();
    if let Some(search) = filter.search {
        let escaped = search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.filter(
            lower(clients::name)
                .like(format!("%{}%", escaped.to_lowercase()))
                .escape('\\')
                .or(clients::id.like(format!("{escaped}%")).escape('\\')),
        );
    }
    query
}

/// How many clients match `filter`.
pub fn count_matching(conn: &mut DbConnection, filter: &ClientFilter<'_>) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

/// One page of the clients matching `filter` in `order`, ties broken by ID; `after` is the
/// key and ID of the last row of the previous page.
pub fn page(
    conn: &mut DbConnection,
    filter: &ClientFilter<'_>,
    order: ClientOrder,
    after: Option<(ClientKey, String)>,
    limit: i64,
) -> QueryResult<Vec<ClientRow>> {
    use ClientOrder::*;
    let mut query = filtered(filter).select(ClientRow::as_select()).limit(limit);
    query = match order {
        CreatedAsc => query.order((clients::created_at.asc(), clients::id.asc())),
        CreatedDesc => query.order((clients::created_at.desc(), clients::id.desc())),
        NameAsc => query.order((clients::name.asc(), clients::id.asc())),
        NameDesc => query.order((clients::name.desc(), clients::id.desc())),
        LastUsedAsc => query.order((last_used_or_epoch().asc(), clients::id.asc())),
        LastUsedDesc => query.order((last_used_or_epoch().desc(), clients::id.desc())),
    };
    if let Some((key, id)) = after {
        let desc = order.descending();
        query = match (order, key) {
            (CreatedAsc | CreatedDesc, ClientKey::At(at)) if desc => query.filter(
                clients::created_at
                    .lt(at)
                    .or(clients::created_at.eq(at).and(clients::id.lt(id))),
            ),
            (CreatedAsc | CreatedDesc, ClientKey::At(at)) => query.filter(
                clients::created_at
                    .gt(at)
                    .or(clients::created_at.eq(at).and(clients::id.gt(id))),
            ),
            (NameAsc | NameDesc, ClientKey::Name(name)) if desc => query.filter(
                clients::name
                    .lt(name.clone())
                    .or(clients::name.eq(name).and(clients::id.lt(id))),
            ),
            (NameAsc | NameDesc, ClientKey::Name(name)) => query.filter(
                clients::name
                    .gt(name.clone())
                    .or(clients::name.eq(name).and(clients::id.gt(id))),
            ),
            (LastUsedAsc | LastUsedDesc, ClientKey::At(at)) if desc => query.filter(
                last_used_or_epoch()
                    .lt(at)
                    .or(last_used_or_epoch().eq(at).and(clients::id.lt(id))),
            ),
            (LastUsedAsc | LastUsedDesc, ClientKey::At(at)) => query.filter(
                last_used_or_epoch()
                    .gt(at)
                    .or(last_used_or_epoch().eq(at).and(clients::id.gt(id))),
            ),
            // A cursor of another order: the caller refused it already; start over.
            _ => query,
        };
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

pub fn set_description(
    conn: &mut DbConnection,
    client_id: &str,
    description: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(clients::table.find(client_id))
        .set((
            clients::description.eq(description),
            clients::updated_at.eq(now),
        ))
        .execute(conn)
}

/// What a client without a secret stores as its secret hash: not a PHC string, so no secret
/// ever verifies against it.
pub const NO_SECRET: &str = "!no-secret";

/// Makes the client authenticate with `jwks` (private_key_jwt: its secrets are dropped) or,
/// with `None`, with a secret again (it gets one by a rotation).
pub fn set_auth_method(
    conn: &mut DbConnection,
    client_id: &str,
    method: AuthMethod,
    jwks: Option<&str>,
    jwks_uri: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let target = clients::table.find(client_id);
    if method == AuthMethod::PrivateKeyJwt {
        diesel::update(target)
            .set((
                clients::secret_hash.eq(NO_SECRET),
                clients::secret_hint.eq(""),
                clients::previous_secret_hash.eq(None::<String>),
                clients::previous_secret_expires_at.eq(None::<NaiveDateTime>),
                clients::secret_expires_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
    }
    diesel::update(target)
        .set((
            clients::token_endpoint_auth_method.eq(method.as_str()),
            clients::jwks.eq(jwks),
            clients::jwks_uri.eq(jwks_uri),
            clients::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn set_disabled(
    conn: &mut DbConnection,
    client_id: &str,
    disabled: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(clients::table.find(client_id))
        .set((clients::disabled.eq(disabled), clients::updated_at.eq(now)))
        .execute(conn)
}

pub fn set_token_ttl(
    conn: &mut DbConnection,
    client_id: &str,
    ttl_seconds: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(clients::table.find(client_id))
        .set((
            clients::token_ttl_seconds.eq(ttl_seconds),
            clients::updated_at.eq(now),
        ))
        .execute(conn)
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
