use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::json;

use super::client_settings::{ClientAuth, ClientSettings, secret_expiry};
use super::{Actor, ServiceError, audit};
use crate::domain::{
    AuthMethod, ClientId, DisplayName, NewClientSecret, OrgId, RoleSet, SecretHasher,
};
use crate::store::clients::{
    self, ClientFilter, ClientKey, ClientOrder, ClientRow, SecretRotation,
};
use crate::store::{self, DbConnection, changes, roles};

/// The longest grace period a rotation may give the outgoing secret: one week.
pub const MAX_GRACE_PERIOD: Duration = Duration::from_secs(7 * 24 * 3600);

/// How far ahead of now a "revoke tokens" cut-off is set: tokens issued up to then are revoked
/// too. It covers instances that have not heard of the change yet (SPEC §8 gives them 1 s,
/// during which they may still accept the secret a rotation replaced) and clock skew between
/// instances; the token endpoint holds this client's next token until the cut-off has passed.
pub const TOKEN_CUTOFF_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(2);

/// A client with its roles.
pub struct ClientRecord {
    pub row: ClientRow,
    pub roles: RoleSet,
}

/// A client to create, its values parsed at the edge (API, CLI, bootstrap).
pub struct NewClient {
    pub org_id: OrgId,
    pub name: DisplayName,
    pub roles: RoleSet,
    /// Set only for the bootstrap client taken from the environment.
    pub id: Option<ClientId>,
    pub secret: Option<NewClientSecret>,
    pub settings: ClientSettings,
    /// When the secret stops working (within the organization's maximum).
    pub secret_expires_at: Option<NaiveDateTime>,
}

/// A created or rotated client and its secret: the one place the plaintext leaves the server.
pub struct ClientWithSecret {
    pub client: ClientRecord,
    pub secret: NewClientSecret,
}

pub fn create(
    conn: &mut DbConnection,
    hasher: &SecretHasher,
    actor: &Actor,
    new: NewClient,
) -> Result<ClientWithSecret, ServiceError> {
    let NewClient {
        org_id,
        name,
        roles,
        id,
        secret,
        settings,
        secret_expires_at,
    } = new;
    let org = super::organizations::find_managed(conn, actor, &org_id)?;
    check_assignable(conn, actor, &roles)?;
    let mut settings = settings.validated()?;
    let secret = secret.unwrap_or_else(NewClientSecret::generate);
    let (method, jwks, jwks_uri, hash, hint, secret_expires_at) = match settings.auth.take() {
        Some(auth @ (ClientAuth::Keys(_) | ClientAuth::KeysAt(_))) => {
            if secret_expires_at.is_some() {
                return Err(ServiceError::invalid(
                    "client_secret_expires_at",
                    "a private_key_jwt client has no secret",
                ));
            }
            let hash = clients::NO_SECRET.to_owned();
            let (method, jwks, jwks_uri) = auth.parts();
            let (jwks, jwks_uri) = (jwks.map(str::to_owned), jwks_uri.map(str::to_owned));
            (method, jwks, jwks_uri, hash, String::new(), None)
        }
        Some(ClientAuth::Secret) | None => {
            let expires_at = secret_expiry(&org, secret_expires_at, store::now())?;
            // argon2 before the transaction: no lock is held while hashing.
            let hash = hasher.hash(secret.secret()).as_str().to_owned();
            let hint = secret.secret().hint();
            (AuthMethod::ClientSecret, None, None, hash, hint, expires_at)
        }
    };
    let now = store::now();
    let row = ClientRow {
        id: id.unwrap_or_else(ClientId::generate).as_str().to_owned(),
        org_id: org_id.as_str().to_owned(),
        name: name.into_inner(),
        secret_hash: hash,
        secret_hint: hint,
        previous_secret_hash: None,
        previous_secret_expires_at: None,
        created_at: now,
        updated_at: now,
        secret_rotated_at: None,
        last_used_at: None,
        tokens_not_before: None,
        description: settings.description.unwrap_or_default(),
        disabled: settings.disabled.unwrap_or(false),
        token_ttl_seconds: settings.token_ttl_seconds.flatten(),
        secret_expires_at,
        token_endpoint_auth_method: method.as_str().to_owned(),
        jwks,
        jwks_uri,
    };
    store::write_transaction(conn, |conn| {
        if clients::find_credentials(conn, &row.id)?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "a client with id {} already exists",
                row.id
            )));
        }
        clients::insert(conn, &row, roles.as_slice())?;
        audit::record(
            conn,
            &row.org_id,
            actor,
            audit::CLIENT_CREATED,
            &row.id,
            Some(&row.name),
            json!({
                "name": row.name,
                "roles": roles.as_slice(),
                "disabled": row.disabled,
                "token_endpoint_auth_method": row.token_endpoint_auth_method,
                "client_secret_expires_at": row.secret_expires_at.map(|t| t.and_utc().to_rfc3339()),
            }),
        )
    })?;
    Ok(ClientWithSecret {
        client: ClientRecord { row, roles },
        secret,
    })
}

/// One client of an organization the actor manages (never its secret).
pub fn get(
    conn: &mut DbConnection,
    actor: &Actor,
    org_id: &OrgId,
    client_id: &ClientId,
) -> Result<ClientRecord, ServiceError> {
    super::organizations::find_managed(conn, actor, org_id)?;
    load(conn, org_id, client_id)
}

/// One page of an organization's clients matching a search, in the asked order, and how many
/// match in all.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    org_id: &OrgId,
    search: Option<&str>,
    order: ClientOrder,
    after: Option<(ClientKey, String)>,
    limit: i64,
) -> Result<(Vec<ClientRecord>, i64), ServiceError> {
    super::organizations::find_managed(conn, actor, org_id)?;
    let filter = ClientFilter {
        org_id: org_id.as_str(),
        search,
    };
    let rows = clients::page(conn, &filter, order, after, limit)?;
    let total = clients::count_matching(conn, &filter)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut roles = clients::roles_of_many(conn, &ids)?;
    let records = rows
        .into_iter()
        .map(|row| ClientRecord {
            roles: RoleSet::from_stored(roles.remove(&row.id).unwrap_or_default()),
            row,
        })
        .collect();
    Ok((records, total))
}

pub struct ClientUpdate {
    pub name: Option<DisplayName>,
    /// Replaces the whole set.
    pub roles: Option<RoleSet>,
    pub settings: ClientSettings,
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    org_id: &OrgId,
    client_id: &ClientId,
    update: ClientUpdate,
) -> Result<ClientRecord, ServiceError> {
    let ClientUpdate {
        name,
        roles,
        settings,
    } = update;
    if name.is_none() && roles.is_none() && settings.is_empty() {
        return Err(ServiceError::invalid(
            "name",
            "send at least one of name, roles, description, disabled, token_ttl_seconds",
        ));
    }
    let settings = settings.validated()?;
    store::write_transaction(conn, |conn| {
        let before = lock_for_change(conn, actor, org_id, client_id)?;
        let now = store::now();
        let mut changes = serde_json::Map::new();
        if let Some(name) = &name {
            clients::set_name(conn, client_id.as_str(), name.as_str(), now)?;
            changes.insert("name".into(), json!(name.as_str()));
            changes.insert("previous_name".into(), json!(before.row.name));
        }
        if let Some(roles) = &roles {
            check_assignable(conn, actor, roles)?;
            clients::replace_roles(conn, client_id.as_str(), roles.as_slice(), now)?;
            changes.insert("roles".into(), json!(roles.as_slice()));
            changes.insert("previous_roles".into(), json!(before.roles.as_slice()));
        }
        if let Some(description) = &settings.description {
            clients::set_description(conn, client_id.as_str(), description, now)?;
            changes.insert("description".into(), json!(description));
        }
        if let Some(ttl) = settings.token_ttl_seconds {
            clients::set_token_ttl(conn, client_id.as_str(), ttl, now)?;
            changes.insert("token_ttl_seconds".into(), json!(ttl));
        }
        if let Some(auth) = &settings.auth {
            let (method, jwks, jwks_uri) = auth.parts();
            clients::set_auth_method(conn, client_id.as_str(), method, jwks, jwks_uri, now)?;
            if let Some(uri) = jwks_uri {
                changes.insert("jwks_uri".into(), json!(uri));
            }
            changes.insert("token_endpoint_auth_method".into(), json!(method.as_str()));
            changes.insert(
                "previous_token_endpoint_auth_method".into(),
                json!(before.row.token_endpoint_auth_method),
            );
            if let Some(jwks) = jwks {
                // Public keys: kept in the event so the audit log says which keys were set.
                let keys: serde_json::Value = serde_json::from_str(jwks).unwrap_or_default();
                changes.insert("jwks".into(), keys);
            }
        }
        let target_name = name
            .as_ref()
            .map_or(before.row.name.as_str(), |n| n.as_str());
        if !changes.is_empty() {
            audit::record(
                conn,
                org_id.as_str(),
                actor,
                audit::CLIENT_UPDATED,
                client_id.as_str(),
                Some(target_name),
                changes.into(),
            )?;
        }
        if let Some(disabled) = settings.disabled.filter(|d| *d != before.row.disabled) {
            clients::set_disabled(conn, client_id.as_str(), disabled, now)?;
            let (action, details) = if disabled {
                // Disabling ends the tokens issued so far: enabling again (after the leak is
                // dealt with) must not bring them back.
                let cutoff = now + TOKEN_CUTOFF_MARGIN;
                clients::set_tokens_not_before(conn, client_id.as_str(), cutoff, now)?;
                let cutoff = cutoff.and_utc().to_rfc3339();
                (audit::CLIENT_DISABLED, json!({"tokens_not_before": cutoff}))
            } else {
                (audit::CLIENT_ENABLED, json!({}))
            };
            audit::record(
                conn,
                org_id.as_str(),
                actor,
                action,
                client_id.as_str(),
                Some(target_name),
                details,
            )?;
        }
        changes::record_change(conn, client_id.as_str())?;
        load(conn, org_id, client_id)
    })
}

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
    actor: &Actor,
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
    authorize_change(&client, actor)?;
    if client.row.token_endpoint_auth_method == AuthMethod::PRIVATE_KEY_JWT {
        return Err(ServiceError::invalid(
            "token_endpoint_auth_method",
            "a private_key_jwt client has no secret to rotate: register new keys (jwks), or \
             switch it to client_secret_basic first",
        ));
    }
    let org = super::organizations::find_managed(conn, actor, org_id)?;
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
            clients::set_tokens_not_before(
                conn,
                client_id.as_str(),
                now + TOKEN_CUTOFF_MARGIN,
                now,
            )?;
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
    actor: &Actor,
    org_id: &OrgId,
    client_id: &ClientId,
) -> Result<ClientRecord, ServiceError> {
    store::write_transaction(conn, |conn| {
        let before = lock_for_change(conn, actor, org_id, client_id)?;
        let now = store::now();
        let cutoff = now + TOKEN_CUTOFF_MARGIN;
        clients::set_tokens_not_before(conn, client_id.as_str(), cutoff, now)?;
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

pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    org_id: &OrgId,
    client_id: &ClientId,
) -> Result<(), ServiceError> {
    store::write_transaction(conn, |conn| {
        let before = lock_for_change(conn, actor, org_id, client_id)?;
        clients::delete(conn, client_id.as_str())?;
        changes::record_change(conn, client_id.as_str())?;
        audit::record(
            conn,
            org_id.as_str(),
            actor,
            audit::CLIENT_DELETED,
            client_id.as_str(),
            Some(&before.row.name),
            json!({"name": before.row.name, "roles": before.roles.as_slice()}),
        )
    })
}

/// The client without any authorization check: for use cases that have done theirs.
fn load(
    conn: &mut DbConnection,
    org_id: &OrgId,
    client_id: &ClientId,
) -> Result<ClientRecord, ServiceError> {
    let row = clients::find_in_org(conn, org_id.as_str(), client_id.as_str())?
        .ok_or(ServiceError::NotFound("client"))?;
    let roles = RoleSet::from_stored(clients::roles_of(conn, &row.id)?);
    Ok(ClientRecord { row, roles })
}

/// Inside a write transaction: the tenant check, a row lock on the client (so no concurrent
/// change can slip between this check and the write), and the grant rule. Every use case that
/// changes a client starts here.
pub(super) fn lock_for_change(
    conn: &mut DbConnection,
    actor: &Actor,
    org_id: &OrgId,
    client_id: &ClientId,
) -> Result<ClientRecord, ServiceError> {
    super::organizations::find_managed(conn, actor, org_id)?;
    if !clients::lock(conn, org_id.as_str(), client_id.as_str())? {
        return Err(ServiceError::NotFound("client"));
    }
    let before = load(conn, org_id, client_id)?;
    authorize_change(&before, actor)?;
    Ok(before)
}

fn authorize_change(client: &ClientRecord, actor: &Actor) -> Result<(), ServiceError> {
    actor.may_act_on(&client.roles)
}

/// No escalation: roles come from the catalog, and the actor may grant each of them (only
/// platform admins hand out `platform:admin`).
///
/// There is deliberately no separate "a client cannot widen its own roles" rule: an org admin
/// may grant any catalog role but `platform:admin` to any client of its organization, a new
/// one it creates included, so such a rule would stop nothing. The grant rule is the boundary.
fn check_assignable(
    conn: &mut DbConnection,
    actor: &Actor,
    roles: &RoleSet,
) -> Result<(), ServiceError> {
    let missing = roles::missing(conn, roles.as_slice())?;
    if !missing.is_empty() {
        return Err(ServiceError::invalid(
            "roles",
            format!("not in the role catalog: {}", missing.join(", ")),
        ));
    }
    if let Some(role) = roles.iter().find(|r| !actor.can_grant(r)) {
        return Err(ServiceError::Forbidden(format!(
            "the caller cannot grant {role}"
        )));
    }
    Ok(())
}
