use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::json;

use super::{Actor, ServiceError, audit};
use crate::domain::{
    ClientId, DisplayName, NewClientSecret, PLATFORM_ADMIN, RoleName, SecretHasher,
};
use crate::store::clients::{self, ClientRow, SecretRotation};
use crate::store::{self, DbConnection, organizations, roles};

/// The longest grace period a rotation may give the outgoing secret: one week.
pub const MAX_GRACE_PERIOD: Duration = Duration::from_secs(7 * 24 * 3600);

/// A client with its roles (sorted).
pub struct ClientRecord {
    pub row: ClientRow,
    pub roles: Vec<String>,
}

pub struct NewClient<'a> {
    pub org_id: &'a str,
    pub name: &'a str,
    pub roles: &'a [String],
    /// Set only for the bootstrap client taken from the environment.
    pub id: Option<ClientId>,
    pub secret: Option<NewClientSecret>,
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
    new: NewClient<'_>,
) -> Result<ClientWithSecret, ServiceError> {
    let name = DisplayName::parse(new.name).map_err(|e| ServiceError::invalid("name", e.0))?;
    let roles = parse_roles(new.roles)?;
    if !actor.can_manage_org(new.org_id) || organizations::find(conn, new.org_id)?.is_none() {
        return Err(ServiceError::NotFound("organization"));
    }
    check_assignable(conn, actor, &roles, None)?;

    // argon2 before the transaction: no lock is held while hashing.
    let secret = new.secret.unwrap_or_else(NewClientSecret::generate);
    let hash = hasher.hash(secret.secret());
    let now = store::now();
    let row = ClientRow {
        id: new
            .id
            .unwrap_or_else(ClientId::generate)
            .as_str()
            .to_owned(),
        org_id: new.org_id.to_owned(),
        name: name.into_inner(),
        secret_hash: hash.as_str().to_owned(),
        secret_hint: secret.secret().hint(),
        previous_secret_hash: None,
        previous_secret_expires_at: None,
        created_at: now,
        updated_at: now,
        secret_rotated_at: None,
        last_used_at: None,
    };
    store::write_transaction(conn, |conn| {
        if clients::find_credentials(conn, &row.id)?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "a client with id {} already exists",
                row.id
            )));
        }
        clients::insert(conn, &row, &roles)?;
        audit::record(
            conn,
            &row.org_id,
            actor,
            audit::CLIENT_CREATED,
            &row.id,
            json!({"name": row.name, "roles": roles}),
        )
    })?;
    Ok(ClientWithSecret {
        client: ClientRecord { row, roles },
        secret,
    })
}

pub fn get(
    conn: &mut DbConnection,
    org_id: &str,
    client_id: &str,
) -> Result<ClientRecord, ServiceError> {
    let row =
        clients::find_in_org(conn, org_id, client_id)?.ok_or(ServiceError::NotFound("client"))?;
    let roles = clients::roles_of(conn, &row.id)?;
    Ok(ClientRecord { row, roles })
}

/// One page of an organization's clients, oldest first.
pub fn list(
    conn: &mut DbConnection,
    org_id: &str,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<ClientRecord>, ServiceError> {
    let rows = clients::page(conn, org_id, after, limit)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut roles = clients::roles_of_many(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| ClientRecord {
            roles: roles.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

pub struct ClientUpdate<'a> {
    pub name: Option<&'a str>,
    /// Replaces the whole set.
    pub roles: Option<&'a [String]>,
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    org_id: &str,
    client_id: &str,
    update: ClientUpdate<'_>,
) -> Result<ClientRecord, ServiceError> {
    let name = update
        .name
        .map(|n| DisplayName::parse(n).map_err(|e| ServiceError::invalid("name", e.0)))
        .transpose()?;
    let roles = update.roles.map(parse_roles).transpose()?;
    if name.is_none() && roles.is_none() {
        return Err(ServiceError::invalid("name", "send name, roles or both"));
    }
    store::write_transaction(conn, |conn| {
        let before = get(conn, org_id, client_id)?;
        let now = store::now();
        let mut changes = serde_json::Map::new();
        if let Some(name) = &name {
            clients::set_name(conn, client_id, name.as_str(), now)?;
            changes.insert("name".into(), json!(name.as_str()));
        }
        if let Some(roles) = &roles {
            check_assignable(conn, actor, roles, Some(&before))?;
            clients::replace_roles(conn, client_id, roles, now)?;
            changes.insert("roles".into(), json!(roles));
            changes.insert("previous_roles".into(), json!(before.roles));
        }
        clients::notify_changed(conn, client_id)?;
        audit::record(
            conn,
            org_id,
            actor,
            audit::CLIENT_UPDATED,
            client_id,
            changes.into(),
        )?;
        get(conn, org_id, client_id)
    })
}

/// Gives the client a new secret. Without a grace period the old one stops working at once;
/// with one, both work until it ends. A rotation during a grace period ends that grace period.
pub fn rotate_secret(
    conn: &mut DbConnection,
    hasher: &SecretHasher,
    actor: &Actor,
    org_id: &str,
    client_id: &str,
    grace: Duration,
) -> Result<ClientWithSecret, ServiceError> {
    if grace > MAX_GRACE_PERIOD {
        return Err(ServiceError::invalid(
            "grace_period_seconds",
            format!("at most {} seconds (7 days)", MAX_GRACE_PERIOD.as_secs()),
        ));
    }
    // Fail fast (and without hashing) for an unknown client.
    get(conn, org_id, client_id)?;
    let secret = NewClientSecret::generate();
    let hash = hasher.hash(secret.secret());
    let hint = secret.secret().hint();
    let client = store::write_transaction(conn, |conn| {
        let before = get(conn, org_id, client_id)?;
        let now = store::now();
        let grace_until = now + chrono::Duration::from_std(grace).unwrap_or_default();
        let previous = (!grace.is_zero()).then_some((before.row.secret_hash.as_str(), grace_until));
        clients::rotate_secret(
            conn,
            client_id,
            &SecretRotation {
                secret_hash: hash.as_str(),
                secret_hint: &hint,
                previous,
                now,
            },
        )?;
        clients::notify_changed(conn, client_id)?;
        audit::record(
            conn,
            org_id,
            actor,
            audit::CLIENT_SECRET_ROTATED,
            client_id,
            json!({"grace_period_seconds": grace.as_secs(), "secret_hint": hint}),
        )?;
        get(conn, org_id, client_id)
    })?;
    Ok(ClientWithSecret { client, secret })
}

pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    org_id: &str,
    client_id: &str,
) -> Result<(), ServiceError> {
    store::write_transaction(conn, |conn| {
        let before = get(conn, org_id, client_id)?;
        clients::delete(conn, client_id)?;
        clients::notify_changed(conn, client_id)?;
        audit::record(
            conn,
            org_id,
            actor,
            audit::CLIENT_DELETED,
            client_id,
            json!({"name": before.row.name, "roles": before.roles}),
        )
    })
}

/// Parses a role list: each a valid name, no duplicates; returns it sorted.
fn parse_roles(roles: &[String]) -> Result<Vec<String>, ServiceError> {
    let mut parsed = Vec::with_capacity(roles.len());
    for role in roles {
        let role = RoleName::parse(role).map_err(|e| ServiceError::invalid("roles", e.0))?;
        parsed.push(role.as_str().to_owned());
    }
    parsed.sort();
    if parsed.windows(2).any(|w| w[0] == w[1]) {
        return Err(ServiceError::invalid("roles", "each role may appear once"));
    }
    Ok(parsed)
}

/// No escalation: roles come from the catalog; only platform admins hand out
/// `platform:admin`; and a client cannot widen its own roles.
fn check_assignable(
    conn: &mut DbConnection,
    actor: &Actor,
    roles: &[String],
    target: Option<&ClientRecord>,
) -> Result<(), ServiceError> {
    let missing = roles::missing(conn, roles)?;
    if !missing.is_empty() {
        return Err(ServiceError::invalid(
            "roles",
            format!("not in the role catalog: {}", missing.join(", ")),
        ));
    }
    if !actor.is_platform_admin() && roles.iter().any(|r| r == PLATFORM_ADMIN) {
        return Err(ServiceError::Forbidden(
            "only a platform admin can grant platform:admin".into(),
        ));
    }
    if let (Actor::Client(caller), Some(target)) = (actor, target)
        && caller.client_id == target.row.id
        && let Some(extra) = roles.iter().find(|r| !caller.roles.contains(r))
    {
        return Err(ServiceError::Forbidden(format!(
            "a client cannot widen its own roles (it does not hold {extra})"
        )));
    }
    Ok(())
}
