//! JSON shapes of the admin API, built from store rows. Rows hold hashes; views never do, and
//! the only view with a secret is the one returned by create and rotate.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::AuthMethod;
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
    /// When the current secret stops working; null: never.
    #[schema(example = "2027-02-25T09:30:00Z")]
    pub client_secret_expires_at: Option<DateTime<Utc>>,
    /// How the client authenticates at the token endpoint (RFC 7591): `client_secret_basic`
    /// (HTTP Basic, and `client_secret_post` is accepted too) or `private_key_jwt`.
    #[schema(example = "client_secret_basic")]
    pub token_endpoint_auth_method: String,
    /// The public keys of a `private_key_jwt` client (a JWK set); null for a secret client.
    #[schema(example = json!(null))]
    pub jwks: Option<serde_json::Map<String, serde_json::Value>>,
    /// Or where a `private_key_jwt` client publishes them.
    #[schema(example = json!(null))]
    pub jwks_uri: Option<String>,
    /// While true, every credential of the client is refused and its tokens are inactive.
    #[schema(example = false)]
    pub disabled: bool,
    /// The client's own access-token lifetime; null: the server's.
    #[schema(example = 900)]
    pub token_ttl_seconds: Option<i64>,
    #[schema(example = "Nightly invoice export")]
    pub description: String,
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
            client_secret_expires_at: c.row.secret_expires_at.map(utc),
            jwks: c
                .row
                .jwks
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            jwks_uri: c.row.jwks_uri,
            token_endpoint_auth_method: c.row.token_endpoint_auth_method,
            disabled: c.row.disabled,
            token_ttl_seconds: c.row.token_ttl_seconds,
            description: c.row.description,
        }
    }
}

/// A client and its new secret: returned once, by create and rotate.
#[derive(Serialize, ToSchema)]
pub struct ClientWithSecretView {
    #[serde(flatten)]
    pub client: ClientView,
    /// Shown this once; only its hint is kept. Absent for a `private_key_jwt` client, which
    /// has no secret.
    #[schema(example = "oas_EXAMPLExONLYxNOTxAxVALIDxSECRETxCHECKSUMxxxBADSUM")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl From<ClientWithSecret> for ClientWithSecretView {
    fn from(c: ClientWithSecret) -> Self {
        let keys = c.client.row.token_endpoint_auth_method == AuthMethod::PRIVATE_KEY_JWT;
        Self {
            client: c.client.into(),
            client_secret: (!keys).then(|| c.secret.into_plaintext()),
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
    /// The longest a client secret of this organization may live (a new secret's
    /// `client_secret_expires_at` defaults to it); null: no limit.
    #[schema(example = 7776000)]
    pub max_secret_lifetime_seconds: Option<i64>,
}

impl From<Organization> for OrganizationView {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id,
            name: o.name,
            created_at: utc(o.created_at),
            max_secret_lifetime_seconds: o.max_secret_lifetime_seconds,
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
    // Who acted (no doc comment: utoipa would wrap the inline object in a oneOf and drop the
    // example; the object's own description says it).
    #[schema(inline)]
    pub actor: AuditActorView,
    /// The actor's id (kept for earlier integrations; `actor` says what kind it is): the client
    /// that acted, or `cli` / `bootstrap` for the operator.
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

/// Who acted: the principal that made the change.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"type": "user", "id": "usr_Q2kd8Rm1Zp0aXw4TnB7cVe", "name": "Ada Lovelace", "email": "ada@example.com", "session_id": "ses_9fLm2Qx7RkT4bN8cVw1ZpA", "method": "passkey", "address": "203.0.113.7", "user_agent": "Mozilla/5.0"}))]
pub struct AuditActorView {
    /// `user` (a person), `client` (an admin client) or `operator` (the command line or the
    /// first start).
    #[serde(rename = "type")]
    #[schema(example = "user")]
    pub kind: String,
    /// A user ID, a client ID, or `cli` / `bootstrap` for the operator.
    #[schema(example = "usr_Q2kd8Rm1Zp0aXw4TnB7cVe")]
    pub id: String,
    /// Its name when it acted; null for the operator and for events recorded before orgauth
    /// kept names.
    #[schema(example = "Ada Lovelace")]
    pub name: Option<String>,
    /// A person's e-mail address.
    #[schema(example = "ada@example.com")]
    pub email: Option<String>,
    /// The person's session.
    #[schema(example = "ses_9fLm2Qx7RkT4bN8cVw1ZpA")]
    pub session_id: Option<String>,
    /// How the person's session signed in: `passkey` or `sso`.
    #[schema(example = "passkey")]
    pub method: Option<String>,
    /// Where the request came from (clients and people); null for the operator.
    #[schema(example = "203.0.113.7")]
    pub address: Option<String>,
    /// The person's browser.
    #[schema(example = "Mozilla/5.0")]
    pub user_agent: Option<String>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            actor: AuditActorView {
                kind: e.actor_type,
                id: e.actor_id.clone(),
                name: e.actor_name.clone(),
                email: e.actor_email,
                session_id: e.actor_session_id,
                method: e.actor_method,
                address: e.actor_address,
                user_agent: e.actor_user_agent,
            },
            details: serde_json::from_str(&e.details).unwrap_or_default(),
            id: e.id,
            org_id: e.org_id,
            actor_client_id: e.actor_id,
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
    #[schema(example = "Nightly invoice export")]
    pub description: Option<String>,
    #[schema(example = false)]
    pub disabled: Option<bool>,
    /// 60 to the server's token lifetime; null returns to the server's.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, example = 900)]
    pub token_ttl_seconds: Option<Option<i64>>,
    /// `client_secret_basic` or `client_secret_post` (both are accepted either way).
    #[schema(example = "client_secret_basic")]
    pub token_endpoint_auth_method: Option<String>,
    /// Public keys for `private_key_jwt` (implies it): a JWK set of 1-2 keys, EC P-256, RSA
    /// 2048-8192 bits or OKP Ed25519, no private parts.
    #[schema(example = json!({"keys": []}))]
    pub jwks: Option<serde_json::Map<String, serde_json::Value>>,
    /// Where the client publishes its keys, for `private_key_jwt` (implies it): `https://` on
    /// a public address, fetched with a timeout and a size limit, kept 5 minutes, fetched again
    /// for an unknown `kid`.
    #[schema(example = json!(null))]
    pub jwks_uri: Option<String>,
    /// When the secret stops working (RFC 3339); default: the organization's maximum secret
    /// lifetime from now, or never.
    #[schema(example = "2027-02-25T09:30:00Z")]
    pub client_secret_expires_at: Option<DateTime<Utc>>,
}

/// The settings create and update share, as sent.
pub struct ClientSettingsRequest {
    pub description: Option<String>,
    pub disabled: Option<bool>,
    pub token_ttl_seconds: Option<Option<i64>>,
    pub token_endpoint_auth_method: Option<String>,
    pub jwks: Option<serde_json::Map<String, serde_json::Value>>,
    pub jwks_uri: Option<String>,
}

macro_rules! settings_request {
    ($request:ty) => {
        impl $request {
            pub fn take_settings(&mut self) -> ClientSettingsRequest {
                ClientSettingsRequest {
                    description: self.description.take(),
                    disabled: self.disabled.take(),
                    token_ttl_seconds: self.token_ttl_seconds.take(),
                    token_endpoint_auth_method: self.token_endpoint_auth_method.take(),
                    jwks: self.jwks.take(),
                    jwks_uri: self.jwks_uri.take(),
                }
            }
        }
    };
}
settings_request!(CreateClientRequest);
settings_request!(UpdateClientRequest);

/// A field that is present (even as null) is `Some`: null clears, absent leaves as is.
pub(super) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClientRequest {
    #[schema(example = "billing-sync-v2")]
    pub name: Option<String>,
    /// Replaces the client's roles.
    #[schema(example = json!(["billing:read", "billing:write"]))]
    pub roles: Option<Vec<String>>,
    #[schema(example = "Nightly invoice export")]
    pub description: Option<String>,
    #[schema(example = false)]
    pub disabled: Option<bool>,
    /// 60 to the server's token lifetime; null returns to the server's.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, example = 900)]
    pub token_ttl_seconds: Option<Option<i64>>,
    /// `client_secret_basic` or `client_secret_post` (both are accepted either way).
    #[schema(example = "client_secret_basic")]
    pub token_endpoint_auth_method: Option<String>,
    /// Public keys for `private_key_jwt` (implies it): a JWK set of 1-2 keys, EC P-256, RSA
    /// 2048-8192 bits or OKP Ed25519, no private parts.
    #[schema(example = json!({"keys": []}))]
    pub jwks: Option<serde_json::Map<String, serde_json::Value>>,
    /// Where the client publishes its keys, for `private_key_jwt` (implies it): `https://` on
    /// a public address, fetched with a timeout and a size limit, kept 5 minutes, fetched again
    /// for an unknown `kid`.
    #[schema(example = json!(null))]
    pub jwks_uri: Option<String>,
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
    /// When the new secret stops working (RFC 3339); default: the organization's maximum
    /// secret lifetime from now, or never.
    #[schema(example = "2027-02-25T09:30:00Z")]
    pub client_secret_expires_at: Option<DateTime<Utc>>,
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganizationRequest {
    #[schema(example = "Acme Payments")]
    pub name: Option<String>,
    /// 3600 to 315360000 seconds; null removes the limit. New and rotated secrets of the
    /// organization's clients expire within it (by default, at it).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, example = 7776000)]
    pub max_secret_lifetime_seconds: Option<Option<i64>>,
}
