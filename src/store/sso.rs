//! Organizations' single sign-on: the connection to their IdP (client secret sealed) and the
//! e-mail domains assigned to them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{sso_connections, sso_domains};

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
