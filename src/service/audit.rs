use serde_json::Value;

use super::{Principal, ServiceError, access};
use crate::domain::{OrgId, random_base62};
use crate::store::audit::{self, AuditEvent, AuditFilter};
use crate::store::{self, DbConnection};

pub const CLIENT_CREATED: &str = "client.created";
pub const CLIENT_UPDATED: &str = "client.updated";
pub const CLIENT_SECRET_ROTATED: &str = "client.secret_rotated";
pub const CLIENT_DELETED: &str = "client.deleted";
pub const CLIENT_DISABLED: &str = "client.disabled";
pub const CLIENT_ENABLED: &str = "client.enabled";
pub const CLIENT_TOKENS_REVOKED: &str = "client.tokens_revoked";
pub const TRUST_POLICY_CREATED: &str = "trust_policy.created";
pub const TRUST_POLICY_DELETED: &str = "trust_policy.deleted";
pub const ROLE_CREATED: &str = "role.created";
pub const ROLE_DELETED: &str = "role.deleted";
pub const ORGANIZATION_CREATED: &str = "organization.created";
pub const ORGANIZATION_RENAMED: &str = "organization.renamed";
pub const ORGANIZATION_UPDATED: &str = "organization.updated";

/// Appends an event; call it inside the transaction of the change it records. `details` must
/// never hold a secret.
pub fn record(
    conn: &mut DbConnection,
    org_id: &str,
    actor: &Principal,
    action: &str,
    target: &str,
    target_name: Option<&str>,
    details: Value,
) -> Result<(), ServiceError> {
    let actor_name = match actor {
        Principal::Operator(_) => None,
        Principal::Client(caller) => store::clients::name_of(conn, &caller.client_id)?,
    };
    audit::insert(
        conn,
        &AuditEvent {
            id: format!("evt_{}", random_base62(22)),
            org_id: org_id.to_owned(),
            actor_id: actor.id().to_owned(),
            actor_type: actor.kind().as_str().to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            details: details.to_string(),
            created_at: store::now(),
            actor_name,
            target_name: target_name.map(str::to_owned),
        },
    )?;
    Ok(())
}

/// One page of the organization's audit log, newest first, for an actor who manages it.
pub fn page(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    filter: &AuditFilter,
    before: Option<(chrono::NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<AuditEvent>, ServiceError> {
    access::find_managed(conn, actor, org_id)?;
    Ok(audit::page(conn, org_id.as_str(), filter, before, limit)?)
}
