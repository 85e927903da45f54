//! JSON shapes of the admin API, built from store rows. Rows hold hashes; views never do, and
//! the only view with a secret is the one returned by create and rotate.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::service::clients::{ClientRecord, ClientWithSecret};
use crate::store::audit::AuditEvent;
use crate::store::organizations::Organization;
use crate::store::roles::Role;

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

#[derive(Serialize, ToSchema)]
pub struct ClientView {
    #[schema(example = "SL1sZQeZj9wt0qgJIquRpvRz")]
    pub client_id: String,
    #[schema(example = "billing-sync")]
    pub name: String,
    #[schema(example = json!(["billing:read"]))]
    pub roles: Vec<String>,
    /// The last four characters of the current secret.
    #[schema(example = "x7Qa")]
    pub secret_hint: String,
    #[schema(example = "2026-11-27T09:30:00Z")]
    pub created_at: DateTime<Utc>,
    #[schema(example = "2026-11-27T10:00:00Z")]
    pub updated_at: DateTime<Utc>,
    #[schema(example = "2026-11-27T10:00:00Z")]
    pub secret_rotated_at: Option<DateTime<Utc>>,
    /// Until when the secret replaced by the last rotation keeps working (its grace period);
    /// null when there is none or it has ended.
    #[schema(example = "2026-11-27T11:00:00Z")]
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// When the client last obtained a token (recorded at most once a minute).
    #[schema(example = "2026-11-27T10:05:00Z")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Access tokens issued before this instant are revoked (set by revoke-tokens or a
    /// rotation with `revoke_tokens`).
    #[schema(example = json!(null))]
    pub tokens_not_before: Option<DateTime<Utc>>,
}

impl From<ClientRecord> for ClientView {
    fn from(c: ClientRecord) -> Self {
        Self {
            client_id: c.row.id,
            name: c.row.name,
            roles: c.roles.as_slice().to_vec(),
            secret_hint: c.row.secret_hint,
            created_at: utc(c.row.created_at),
            updated_at: utc(c.row.updated_at),
            secret_rotated_at: c.row.secret_rotated_at.map(utc),
            previous_secret_expires_at: c
                .row
                .previous_secret_expires_at
                .filter(|until| {
                    c.row.previous_secret_hash.is_some() && *until > crate::store::now()
                })
                .map(utc),
            last_used_at: c.row.last_used_at.map(utc),
            tokens_not_before: c.row.tokens_not_before.map(utc),
        }
    }
}

/// A client and its new secret: returned once, by create and rotate.
#[derive(Serialize, ToSchema)]
pub struct ClientWithSecretView {
    #[serde(flatten)]
    pub client: ClientView,
    /// Shown this once; only its hint is kept.
    #[schema(example = "oas_EXAMPLExONLYxNOTxAxVALIDxSECRETxCHECKSUMxxxBADSUM")]
    pub client_secret: String,
}

impl From<ClientWithSecret> for ClientWithSecretView {
    fn from(c: ClientWithSecret) -> Self {
        Self {
            client: c.client.into(),
            client_secret: c.secret.into_plaintext(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationView {
    #[schema(example = "org_Aoonxx5hGGFIh4LSlA3hQZ")]
    pub id: String,
    #[schema(example = "Acme Payments")]
    pub name: String,
    #[schema(example = "2026-11-27T09:30:00Z")]
    pub created_at: DateTime<Utc>,
}

impl From<Organization> for OrganizationView {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id,
            name: o.name,
            created_at: utc(o.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RoleView {
    #[schema(example = "billing:read")]
    pub name: String,
    #[schema(example = "Read invoices and payments")]
    pub description: String,
}

impl From<Role> for RoleView {
    fn from(r: Role) -> Self {
        Self {
            name: r.name,
            description: r.description,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditEventView {
    #[schema(example = "evt_3kQ9mZrT1bX2cV5nL8pW0y")]
    pub id: String,
    #[schema(example = "org_Aoonxx5hGGFIh4LSlA3hQZ")]
    pub org_id: String,
    /// The client that acted, or `cli` / `bootstrap` for the operator.
    #[schema(example = "SL1sZQeZj9wt0qgJIquRpvRz")]
    pub actor_client_id: String,
    /// The acting client's name when it acted; null for the operator and for events recorded
    /// before orgauth kept names.
    #[schema(example = "console operator")]
    pub actor_name: Option<String>,
    /// `client.created`, `client.updated`, `client.secret_rotated`, `client.deleted`,
    /// `role.created`, `role.deleted` or `organization.created`.
    #[schema(example = "client.created")]
    pub action: String,
    /// The client ID, role name or organization ID acted upon.
    #[schema(example = "pR4tYu8iO2aS6dF0gH3jK7lZ")]
    pub target: String,
    /// The target's name when the event happened (so a deleted client still reads well); null
    /// for events recorded before orgauth kept names.
    #[schema(example = "billing-sync")]
    pub target_name: Option<String>,
    /// What changed; never a secret.
    #[schema(example = json!({"name": "billing-sync", "roles": ["billing:read"]}))]
    pub details: serde_json::Map<String, serde_json::Value>,
    #[schema(example = "2026-11-27T09:30:00Z")]
    pub created_at: DateTime<Utc>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            details: serde_json::from_str(&e.details).unwrap_or_default(),
            id: e.id,
            org_id: e.org_id,
            actor_client_id: e.actor_client_id,
            action: e.action,
            target: e.target,
            created_at: utc(e.created_at),
            actor_name: e.actor_name,
            target_name: e.target_name,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    #[schema(example = "billing-sync")]
    pub name: String,
    #[schema(example = json!(["billing:read"]))]
    pub roles: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClientRequest {
    #[schema(example = "billing-sync-v2")]
    pub name: Option<String>,
    /// Replaces the client's roles.
    #[schema(example = json!(["billing:read", "billing:write"]))]
    pub roles: Option<Vec<String>>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretRequest {
    /// Seconds (0–604800) during which the old secret keeps working too. Default 0.
    #[schema(example = 3600)]
    pub grace_period_seconds: Option<u64>,
    /// Also revoke every access token issued to the client so far. Default false.
    #[schema(example = false)]
    pub revoke_tokens: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleRequest {
    #[schema(example = "billing:read")]
    pub name: String,
    #[serde(default)]
    #[schema(example = "Read invoices and payments")]
    pub description: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    #[schema(example = "Acme Payments")]
    pub name: String,
}
