//! A client's secret and tokens: rotation (with a grace period for the outgoing secret) and
//! revoking every token issued so far.

use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::json;

use super::client_settings::secret_expiry;
use super::clients::{
    ClientRecord, ClientWithSecret, MAX_GRACE_PERIOD, TOKEN_CUTOFF_MARGIN, get, load,
    lock_for_change,
};
use super::{Principal, ServiceError, audit};
use crate::domain::{AuthMethod, ClientId, NewClientSecret, OrgId, SecretHasher};
use crate::store::clients::{self, ClientChanges, SecretRotation};
use crate::store::{self, DbConnection, changes};

pub struct Rotation {
    /// How long the outgoing secret keeps working; zero ends it at once.
    pub grace: Duration,
    /// Also revoke every token issued to the client so far.
    pub revoke_tokens: bool,
    /// When the new secret stops working (within the organization's maximum).
    pub secret_expires_at: Option<NaiveDateTime>,
}

/// Gives the client a new secret. Without a grace period the old one stops working at once;
/// with one, both work until it ends. A rotation during a grace period ends that grace period.
pub fn rotate_secret(
    conn: &mut DbConnection,
    hasher: &SecretHasher,
    actor: &Principal,
    org_id: &OrgId,
    client_id: &ClientId,
    rotation: Rotation,
) -> Result<ClientWithSecret, ServiceError> {
    let grace = rotation.grace;
    if grace > MAX_GRACE_PERIOD {
        return Err(ServiceError::invalid(
            "grace_period_seconds",
            format!("at most {} seconds (7 days)", MAX_GRACE_PERIOD.as_secs()),
        ));
    }
    if rotation.revoke_tokens && !grace.is_zero() {
        return Err(ServiceError::invalid(
            "revoke_tokens",
            "revoking the client's tokens while its old secret keeps working would not cut off \
             a leaked secret (it could mint new tokens): rotate without a grace period",
        ));
    }
    // Fail fast (and without hashing) for an unknown or untouchable client.
    let client = get(conn, actor, org_id, client_id)?;
    actor.may_act_on(org_id, &client.roles)?;
    super::access::find_managed(conn, actor, org_id)?;
    actor.require_recent_sign_in()?;
    if client.row.token_endpoint_auth_method == AuthMethod::PRIVATE_KEY_JWT {
        return Err(ServiceError::invalid(
            "token_endpoint_auth_method",
            "a private_key_jwt client has no secret to rotate: register new keys (jwks), or \
             switch it to client_secret_basic first",
        ));
    }
    let org = super::access::find_managed(conn, actor, org_id)?;
    let secret_expires_at = secret_expiry(&org, rotation.secret_expires_at, store::now())?;
    let secret = NewClientSecret::generate();
    let hash = hasher.hash(secret.secret());
    let hint = secret.secret().hint();
    let client = store::write_transaction(conn, |conn| {
        let before = lock_for_change(conn, actor, org_id, client_id)?;
        // Again under the lock: the client may have become a key client meanwhile.
        if before.row.token_endpoint_auth_method == AuthMethod::PRIVATE_KEY_JWT {
            return Err(ServiceError::invalid(
                "token_endpoint_auth_method",
                "a private_key_jwt client has no secret to rotate",
            ));
        }
        let now = store::now();
        // The outgoing secret works until the grace period ends, never past its own expiry.
        let grace_until = (now + chrono::Duration::from_std(grace).unwrap_or_default())
            .min(before.row.secret_expires_at.unwrap_or(NaiveDateTime::MAX));
        let previous = (!grace.is_zero()).then_some((before.row.secret_hash.as_str(), grace_until));
        clients::rotate_secret(
            conn,
            client_id.as_str(),
            &SecretRotation {
                secret_hash: &hash,
                secret_hint: &hint,
                previous,
                expires_at: secret_expires_at,
                now,
            },
        )?;
        if rotation.revoke_tokens {
            let row = ClientChanges::at(now).cutting_off_tokens(now + TOKEN_CUTOFF_MARGIN);
            clients::update(conn, client_id.as_str(), &row)?;
        }
        changes::record_change(conn, client_id.as_str())?;
        audit::record(
            conn,
            org_id.as_str(),
            actor,
            audit::CLIENT_SECRET_ROTATED,
            client_id.as_str(),
            Some(&before.row.name),
            json!({
                "grace_period_seconds": grace.as_secs(),
                "secret_hint": hint,
                "revoke_tokens": rotation.revoke_tokens,
                "client_secret_expires_at": secret_expires_at.map(|t| t.and_utc().to_rfc3339()),
            }),
        )?;
        load(conn, org_id, client_id)
    })?;
    Ok(ClientWithSecret { client, secret })
}

/// Revokes every access token issued to the client so far: introspection calls them inactive
/// and the admin API refuses them. Tokens issued afterwards are unaffected.
pub fn revoke_tokens(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    client_id: &ClientId,
) -> Result<ClientRecord, ServiceError> {
    store::write_transaction(conn, |conn| {
        let before = lock_for_change(conn, actor, org_id, client_id)?;
        let now = store::now();
        let cutoff = now + TOKEN_CUTOFF_MARGIN;
        let row = ClientChanges::at(now).cutting_off_tokens(cutoff);
        clients::update(conn, client_id.as_str(), &row)?;
        changes::record_change(conn, client_id.as_str())?;
        audit::record(
            conn,
            org_id.as_str(),
            actor,
            audit::CLIENT_TOKENS_REVOKED,
            client_id.as_str(),
            Some(&before.row.name),
            json!({"tokens_not_before": cutoff.and_utc().to_rfc3339()}),
        )?;
        load(conn, org_id, client_id)
    })
}
