//! Trust policies of a client (workload identity federation): listed by whoever manages the
//! client's organization; created and deleted only by an actor who may act on the client (the
//! grant rule: a policy mints that client's tokens), in one transaction with the audit event.

use serde_json::json;

use super::{Principal, ServiceError, audit, clients};
use crate::domain::trust_policy::TrustRules;
use crate::domain::{ClientId, OrgId, random_base62};
use crate::store::trust_policies::{self, TrustPolicyRow};
use crate::store::{self, DbConnection};

/// The most policies one client may have.
pub const MAX_PER_CLIENT: i64 = 10;

pub fn list(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    client_id: &ClientId,
) -> Result<Vec<TrustPolicyRow>, ServiceError> {
    clients::get(conn, actor, org_id, client_id)?;
    Ok(trust_policies::of_client(conn, client_id.as_str())?)
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    client_id: &ClientId,
    rules: TrustRules,
) -> Result<TrustPolicyRow, ServiceError> {
    store::write_transaction(conn, |conn| {
        let client = clients::lock_for_change(conn, actor, org_id, client_id)?;
        actor.require_recent_sign_in()?;
        if trust_policies::count_of_client(conn, client_id.as_str())? >= MAX_PER_CLIENT {
            return Err(ServiceError::Conflict(format!(
                "a client has at most {MAX_PER_CLIENT} trust policies"
            )));
        }
        let row = TrustPolicyRow {
            id: format!("tp_{}", random_base62(22)),
            org_id: org_id.as_str().to_owned(),
            client_id: client_id.as_str().to_owned(),
            claims: serde_json::to_string(&rules.claims).unwrap_or_else(|_| "{}".into()),
            issuer: rules.issuer,
            jwks_uri: rules.jwks_uri,
            audience: rules.audience,
            subject: rules.subject,
            created_at: store::now(),
        };
        trust_policies::insert(conn, &row)?;
        audit::record(
            conn,
            org_id.as_str(),
            actor,
            audit::TRUST_POLICY_CREATED,
            client_id.as_str(),
            Some(&client.row.name),
            json!({
                "policy_id": row.id,
                "issuer": row.issuer,
                "jwks_uri": row.jwks_uri,
                "audience": row.audience,
                "subject": row.subject,
                "claims": rules.claims,
            }),
        )?;
        Ok(row)
    })
}

pub fn delete(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    client_id: &ClientId,
    policy_id: &str,
) -> Result<(), ServiceError> {
    store::write_transaction(conn, |conn| {
        let client = clients::lock_for_change(conn, actor, org_id, client_id)?;
        actor.require_recent_sign_in()?;
        let policy = trust_policies::of_client(conn, client_id.as_str())?
            .into_iter()
            .find(|p| p.id == policy_id)
            .ok_or(ServiceError::NotFound("trust policy"))?;
        trust_policies::delete(conn, client_id.as_str(), policy_id)?;
        audit::record(
            conn,
            org_id.as_str(),
            actor,
            audit::TRUST_POLICY_DELETED,
            client_id.as_str(),
            Some(&client.row.name),
            json!({
                "policy_id": policy.id,
                "issuer": policy.issuer,
                "audience": policy.audience,
                "subject": policy.subject,
            }),
        )
    })
}
