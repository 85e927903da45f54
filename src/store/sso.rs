//! Organizations' single sign-on: the connection to their IdP (client secret sealed) and the
//! e-mail domains assigned to them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{sso_connections, sso_domains, sso_flows, sso_identities};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sso_connections)]
pub struct SsoConnection {
    pub org_id: String,
    pub issuer: String,
    pub client_id: String,
    /// The client secret, sealed under the key-encryption key (AAD `sso:<org_id>`).
    pub sealed_client_secret: Vec<u8>,
    pub require_sso: bool,
    /// The role given to someone who joins by their verified e-mail domain; `None`: nobody
    /// joins that way.
    pub jit_role: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConnection, org_id: &str) -> QueryResult<Option<SsoConnection>> {
    sso_connections::table
        .find(org_id)
        .select(SsoConnection::as_select())
        .first(conn)
        .optional()
}

/// Inserts or replaces the organization's connection.
pub fn save(conn: &mut DbConnection, connection: &SsoConnection) -> QueryResult<()> {
    let updated = diesel::update(sso_connections::table.find(&connection.org_id))
        .set(connection)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(sso_connections::table)
            .values(connection)
            .execute(conn)?;
    }
    Ok(())
}

/// Every connection's sealed client secret, by organization (for a re-wrap).
pub fn sealed_secrets(conn: &mut DbConnection) -> QueryResult<Vec<(String, Vec<u8>)>> {
    sso_connections::table
        .select((
            sso_connections::org_id,
            sso_connections::sealed_client_secret,
        ))
        .order(sso_connections::org_id)
        .load(conn)
}

/// Replaces a connection's sealed client secret (empty: to be entered again).
pub fn set_sealed_secret(conn: &mut DbConnection, org_id: &str, sealed: &[u8]) -> QueryResult<()> {
    diesel::update(sso_connections::table.find(org_id))
        .set(sso_connections::sealed_client_secret.eq(sealed))
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut DbConnection, org_id: &str) -> QueryResult<bool> {
    diesel::delete(sso_connections::table.find(org_id))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn domains_of(conn: &mut DbConnection, org_id: &str) -> QueryResult<Vec<String>> {
    sso_domains::table
        .filter(sso_domains::org_id.eq(org_id))
        .select(sso_domains::domain)
        .order(sso_domains::domain)
        .load(conn)
}

/// The organization a domain belongs to, if any.
pub fn owner_of(conn: &mut DbConnection, domain: &str) -> QueryResult<Option<String>> {
    sso_domains::table
        .find(domain)
        .select(sso_domains::org_id)
        .first(conn)
        .optional()
}

/// Replaces the organization's domains.
pub fn set_domains(
    conn: &mut DbConnection,
    org_id: &str,
    domains: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(sso_domains::table.filter(sso_domains::org_id.eq(org_id))).execute(conn)?;
    for domain in domains {
        diesel::insert_into(sso_domains::table)
            .values((
                sso_domains::domain.eq(domain),
                sso_domains::org_id.eq(org_id),
                sso_domains::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// An identity at an organization's IdP, linked to a person.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sso_identities)]
pub struct SsoIdentity {
    pub org_id: String,
    pub issuer: String,
    pub subject: String,
    pub user_id: String,
    pub email: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_sign_in_at: NaiveDateTime,
}

pub fn find_identity(
    conn: &mut DbConnection,
    org_id: &str,
    issuer: &str,
    subject: &str,
) -> QueryResult<Option<SsoIdentity>> {
    sso_identities::table
        .find((org_id, issuer, subject))
        .select(SsoIdentity::as_select())
        .first(conn)
        .optional()
}

pub fn insert_identity(conn: &mut DbConnection, identity: &SsoIdentity) -> QueryResult<()> {
    diesel::insert_into(sso_identities::table)
        .values(identity)
        .execute(conn)
        .map(drop)
}

pub fn identity_signed_in(
    conn: &mut DbConnection,
    identity: &SsoIdentity,
    email: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(sso_identities::table.find((
        &identity.org_id,
        &identity.issuer,
        &identity.subject,
    )))
    .set((
        sso_identities::last_sign_in_at.eq(at),
        sso_identities::email.eq(email),
    ))
    .execute(conn)
    .map(drop)
}

/// A sign-in through an IdP under way, keyed by the SHA-256 of its `state`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sso_flows)]
pub struct SsoFlow {
    pub state_hash: String,
    pub org_id: String,
    pub issuer: String,
    pub client_id: String,
    /// `sign_in`, `step_up` or `test`.
    pub purpose: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// A path under `/console`.
    pub return_to: String,
    /// SHA-256 of the browser's `__Host-orgauth-sso` cookie: the callback must come from the
    /// browser that started the sign-in.
    pub binding_hash: String,
    /// Who was signed in when it started (a step-up, a test, linking an identity).
    pub user_id: Option<String>,
    /// The session cookie's hash the sign-in replaces.
    pub replacing_hash: Option<String>,
    /// Where the sign-in started (flows in flight are limited per address).
    pub address: Option<String>,
    pub started_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert_flow(conn: &mut DbConnection, flow: &SsoFlow) -> QueryResult<()> {
    diesel::insert_into(sso_flows::table)
        .values(flow)
        .execute(conn)
        .map(drop)
}

/// The unexpired flow of this state started by this browser (`binding_hash`), deleted in the
/// same step: a replayed callback finds nothing, on any instance, and a callback from another
/// browser neither finds it nor spends it.
pub fn take_flow(
    conn: &mut DbConnection,
    state_hash: &str,
    binding_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<SsoFlow>> {
    super::write_transaction(conn, |conn| {
        let mine = sso_flows::table
            .filter(sso_flows::state_hash.eq(state_hash))
            .filter(sso_flows::binding_hash.eq(binding_hash));
        let found = mine.select(SsoFlow::as_select()).first(conn).optional()?;
        let Some(found) = found else { return Ok(None) };
        let deleted = diesel::delete(mine).execute(conn)?;
        Ok((deleted == 1 && found.expires_at > now).then_some(found))
    })
}

/// Sign-ins in flight: everywhere, of one organization, from one address.
pub fn count_live_flows(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    org_id: &str,
    address: Option<&str>,
) -> QueryResult<(i64, i64, i64)> {
    let live = || sso_flows::table.filter(sso_flows::expires_at.gt(now));
    let all = live().count().get_result(conn)?;
    let of_org = live()
        .filter(sso_flows::org_id.eq(org_id))
        .count()
        .get_result(conn)?;
    let from_address = match address {
        Some(address) => live()
            .filter(sso_flows::address.eq(address))
            .count()
            .get_result(conn)?,
        None => 0,
    };
    Ok((all, of_org, from_address))
}

pub fn prune_flows(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sso_flows::table.filter(sso_flows::expires_at.le(now))).execute(conn)
}
