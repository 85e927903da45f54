//! Trust policies (workload identity federation), one table; each row binds one client.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::trust_policies;
use crate::domain::trust_policy::TrustRules;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = trust_policies)]
pub struct TrustPolicyRow {
    pub id: String,
    pub org_id: String,
    pub client_id: String,
    pub issuer: String,
    pub jwks_uri: Option<String>,
    pub audience: String,
    pub subject: String,
    /// JSON object text: claim name -> pattern.
    pub claims: String,
    pub created_at: NaiveDateTime,
}

impl TrustPolicyRow {
    /// The policy's conditions (`None` if the stored claims are not a JSON object of strings,
    /// which only a hand-edited row could hold: such a policy admits nothing).
    pub fn rules(&self) -> Option<TrustRules> {
        Some(TrustRules {
            issuer: self.issuer.clone(),
            jwks_uri: self.jwks_uri.clone(),
            audience: self.audience.clone(),
            subject: self.subject.clone(),
            claims: serde_json::from_str(&self.claims).ok()?,
        })
    }
}

pub fn insert(conn: &mut DbConnection, row: &TrustPolicyRow) -> QueryResult<()> {
    diesel::insert_into(trust_policies::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The client's policies, oldest first.
pub fn of_client(conn: &mut DbConnection, client_id: &str) -> QueryResult<Vec<TrustPolicyRow>> {
    trust_policies::table
        .filter(trust_policies::client_id.eq(client_id))
        .select(TrustPolicyRow::as_select())
        .order((trust_policies::created_at, trust_policies::id))
        .load(conn)
}

/// The client's policies for tokens of `issuer`.
pub fn of_client_for_issuer(
    conn: &mut DbConnection,
    client_id: &str,
    issuer: &str,
) -> QueryResult<Vec<TrustPolicyRow>> {
    trust_policies::table
        .filter(trust_policies::client_id.eq(client_id))
        .filter(trust_policies::issuer.eq(issuer))
        .select(TrustPolicyRow::as_select())
        .order(trust_policies::id)
        .load(conn)
}

pub fn count_of_client(conn: &mut DbConnection, client_id: &str) -> QueryResult<i64> {
    trust_policies::table
        .filter(trust_policies::client_id.eq(client_id))
        .count()
        .get_result(conn)
}

/// Deletes one policy of the client; whether it existed.
pub fn delete(conn: &mut DbConnection, client_id: &str, id: &str) -> QueryResult<bool> {
    diesel::delete(
        trust_policies::table
            .filter(trust_policies::id.eq(id))
            .filter(trust_policies::client_id.eq(client_id)),
    )
    .execute(conn)
    .map(|n| n == 1)
}
