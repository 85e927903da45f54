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
pub const USER_SIGNED_IN: &str = "user.signed_in";
pub const USER_SIGN_IN_FAILED: &str = "user.sign_in_failed";
pub const USER_SIGNED_OUT: &str = "user.signed_out";
pub const SESSION_ENDED: &str = "session.ended";
pub const INVITATION_CREATED: &str = "invitation.created";
pub const INVITATION_ACCEPTED: &str = "invitation.accepted";
pub const INVITATION_REVOKED: &str = "invitation.revoked";
pub const MEMBER_ROLE_CHANGED: &str = "member.role_changed";
pub const MEMBER_REMOVED: &str = "member.removed";
pub const MEMBER_SESSIONS_ENDED: &str = "member.sessions_ended";
pub const PASSKEY_ADDED: &str = "passkey.added";
pub const PASSKEY_REMOVED: &str = "passkey.removed";
pub const KEY_ROTATED: &str = "signing_key.rotated";
pub const KEY_REVOKED: &str = "signing_key.revoked";
pub const KEYS_REWRAPPED: &str = "keys.rewrapped";
pub const KEYS_FORGOTTEN: &str = "keys.forgotten";

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
        Principal::User(user) => Some(user.name.clone()),
    };
    let (email, session_id, method, address, user_agent) = match actor {
        Principal::Operator(_) => (None, None, None, None, None),
        Principal::Client(c) => (None, None, None, c.address.clone(), None),
        Principal::User(u) => (
            Some(u.email.clone()),
            Some(u.session_id.clone()),
            Some(u.method.clone()),
            u.address.clone(),
            u.user_agent.clone(),
        ),
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
            actor_email: email,
            actor_session_id: session_id,
            actor_method: method,
            actor_address: address,
            actor_user_agent: user_agent,
        },
    )?;
    Ok(())
}

/// Records what someone not signed in attempted (a failed single sign-on) in an
/// organization's log: the actor is a `visitor`, known by the request's address and browser.
pub fn record_visitor(
    conn: &mut DbConnection,
    org_id: &str,
    action: &str,
    origin: &crate::service::people::RequestOrigin,
    details: Value,
) -> Result<(), ServiceError> {
    audit::insert(
        conn,
        &AuditEvent {
            id: format!("evt_{}", random_base62(22)),
            org_id: org_id.to_owned(),
            actor_id: "visitor".into(),
            actor_type: "visitor".into(),
            action: action.to_owned(),
            target: org_id.to_owned(),
            details: details.to_string(),
            created_at: store::now(),
            actor_name: None,
            target_name: None,
            actor_email: None,
            actor_session_id: None,
            actor_method: Some("sso".into()),
            actor_address: origin.address.clone(),
            actor_user_agent: origin.user_agent.clone(),
        },
    )?;
    Ok(())
}

/// Records an event about a person (sign-in, sign-out, passkeys, sessions) in every
/// organization they are a member of: each organization's log shows what its people did.
pub fn record_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    actor: &Principal,
    action: &str,
    target_name: Option<&str>,
    details: Value,
) -> Result<(), ServiceError> {
    for (org_id, _) in store::people::memberships::roles_of(conn, user_id)? {
        record(
            conn,
            &org_id,
            actor,
            action,
            user_id,
            target_name,
            details.clone(),
        )?;
    }
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
    access::find_visible(conn, actor, org_id)?;
    Ok(audit::page(conn, org_id.as_str(), filter, before, limit)?)
}
