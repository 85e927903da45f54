use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::client_settings::{ClientAuth, ClientSettings, secret_expiry};
use super::{Principal, ServiceError, audit};
use crate::domain::{
    AuthMethod, ClientId, DisplayName, NewClientSecret, OrgId, RoleSet, SecretHasher,
};
use crate::store::clients::{self, ClientChanges, ClientFilter, ClientKey, ClientOrder, ClientRow};
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
    actor: &Principal,
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
    let org = super::access::find_managed(conn, actor, &org_id)?;
    actor.require_recent_sign_in()?;
    check_assignable(conn, actor, &org_id, &roles)?;
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
    actor: &Principal,
    org_id: &OrgId,
    client_id: &ClientId,
) -> Result<ClientRecord, ServiceError> {
    super::access::find_visible(conn, actor, org_id)?;
    load(conn, org_id, client_id)
}

/// One page of an organization's clients matching a search, in the asked order, and how many
/// match in all.
pub fn list(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    search: Option<&str>,
    order: ClientOrder,
    after: Option<(ClientKey, String)>,
    limit: i64,
) -> Result<(Vec<ClientRecord>, i64), ServiceError> {
    super::access::find_visible(conn, actor, org_id)?;
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
    actor: &Principal,
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
        // Roles and credentials need a recent sign-in; a rename or a description does not.
        if roles.is_some() || settings.auth.is_some() {
            actor.require_recent_sign_in()?;
        }
        let now = store::now();
        if let Some(roles) = &roles {
            check_assignable(conn, actor, org_id, roles)?;
            clients::replace_roles(conn, client_id.as_str(), roles.as_slice(), now)?;
        }
        let disabled = settings.disabled.filter(|d| *d != before.row.disabled);
        let mut row = ClientChanges::at(now);
        row.name = name.as_ref().map(DisplayName::as_str);
        row.description = settings.description.as_deref();
        row.token_ttl_seconds = settings.token_ttl_seconds;
        row.disabled = disabled;
        // Disabling ends the tokens issued so far: enabling again (after the leak is dealt
        // with) must not bring them back.
        let cutoff = (disabled == Some(true)).then(|| now + TOKEN_CUTOFF_MARGIN);
        if let Some(cutoff) = cutoff {
            row = row.cutting_off_tokens(cutoff);
        }
        if let Some(auth) = &settings.auth {
            let (method, jwks, jwks_uri) = auth.parts();
            row = row.auth_method(method, jwks, jwks_uri);
        }
        clients::update(conn, client_id.as_str(), &row)?;
        let after = load(conn, org_id, client_id)?;

        let changed = changed_fields(&before, &after);
        if !changed.is_empty() {
            audit::record(
                conn,
                org_id.as_str(),
                actor,
                audit::CLIENT_UPDATED,
                client_id.as_str(),
                Some(&after.row.name),
                changed.into(),
            )?;
        }
        if disabled.is_some() {
            let (action, details) = match cutoff {
                Some(cutoff) => (
                    audit::CLIENT_DISABLED,
                    json!({"tokens_not_before": cutoff.and_utc().to_rfc3339()}),
                ),
                None => (audit::CLIENT_ENABLED, json!({})),
            };
            audit::record(
                conn,
                org_id.as_str(),
                actor,
                action,
                client_id.as_str(),
                Some(&after.row.name),
                details,
            )?;
        }
        changes::record_change(conn, client_id.as_str())?;
        Ok(after)
    })
}

/// The audit details of an update: each field that differs between the two records, with the
/// earlier value where a reader needs it (names, roles, the method). Public keys are kept so
/// the log says which keys were set; no secret is ever part of a record.
fn changed_fields(before: &ClientRecord, after: &ClientRecord) -> serde_json::Map<String, Value> {
    let (b, a) = (&before.row, &after.row);
    let mut changed = serde_json::Map::new();
    if a.name != b.name {
        changed.insert("name".into(), json!(a.name));
        changed.insert("previous_name".into(), json!(b.name));
    }
    if after.roles.as_slice() != before.roles.as_slice() {
        changed.insert("roles".into(), json!(after.roles.as_slice()));
        changed.insert("previous_roles".into(), json!(before.roles.as_slice()));
    }
    if a.description != b.description {
        changed.insert("description".into(), json!(a.description));
    }
    if a.token_ttl_seconds != b.token_ttl_seconds {
        changed.insert("token_ttl_seconds".into(), json!(a.token_ttl_seconds));
    }
    let keys_changed = a.jwks != b.jwks || a.jwks_uri != b.jwks_uri;
    if a.token_endpoint_auth_method != b.token_endpoint_auth_method || keys_changed {
        changed.insert(
            "token_endpoint_auth_method".into(),
            json!(a.token_endpoint_auth_method),
        );
        changed.insert(
            "previous_token_endpoint_auth_method".into(),
            json!(b.token_endpoint_auth_method),
        );
        if let Some(uri) = &a.jwks_uri {
            changed.insert("jwks_uri".into(), json!(uri));
        }
        if let Some(jwks) = &a.jwks {
            let keys: Value = serde_json::from_str(jwks).unwrap_or_default();
            changed.insert("jwks".into(), keys);
        }
    }
    changed
}

pub fn delete(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    client_id: &ClientId,
) -> Result<(), ServiceError> {
    store::write_transaction(conn, |conn| {
        let before = lock_for_change(conn, actor, org_id, client_id)?;
        actor.require_recent_sign_in()?;
        crate::store::people::invitations::delete_by_inviter(
            conn,
            org_id.as_str(),
            client_id.as_str(),
        )?;
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
pub(super) fn load(
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
    actor: &Principal,
    org_id: &OrgId,
    client_id: &ClientId,
) -> Result<ClientRecord, ServiceError> {
    super::access::find_managed(conn, actor, org_id)?;
    if !clients::lock(conn, org_id.as_str(), client_id.as_str())? {
        return Err(ServiceError::NotFound("client"));
    }
    let before = load(conn, org_id, client_id)?;
    actor.may_act_on(org_id, &before.roles)?;
    Ok(before)
}

/// No escalation: roles come from the catalog, and the actor may grant each of them (only
/// platform admins hand out `platform:admin`).
///
/// There is deliberately no separate "a client cannot widen its own roles" rule: an org admin
/// may grant any catalog role but `platform:admin` to any client of its organization, a new
/// one it creates included, so such a rule would stop nothing. The grant rule is the boundary.
fn check_assignable(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    roles: &RoleSet,
) -> Result<(), ServiceError> {
    let missing = roles::missing(conn, roles.as_slice())?;
    if !missing.is_empty() {
        return Err(ServiceError::invalid(
            "roles",
            format!("not in the role catalog: {}", missing.join(", ")),
        ));
    }
    if let Some(role) = roles.iter().find(|r| !actor.can_grant(org_id, r)) {
        return Err(ServiceError::Forbidden(format!(
            "the caller cannot grant {role}"
        )));
    }
    Ok(())
}
