use serde_json::json;

use super::{Principal, ServiceError, audit};
use crate::domain::{ORG_ADMIN, PLATFORM_ADMIN, RoleName, check_free_text};
use crate::store::roles::{self, Role};
use crate::store::{self, DbConnection};

pub fn list(conn: &mut DbConnection) -> Result<Vec<Role>, ServiceError> {
    Ok(roles::list(conn)?)
}

/// Adds a role to the catalog (platform admins only).
pub fn create(
    conn: &mut DbConnection,
    actor: &Principal,
    name: &str,
    description: &str,
) -> Result<Role, ServiceError> {
    require_platform_admin(actor)?;
    actor.require_recent_sign_in()?;
    let name = RoleName::parse(name).map_err(|e| ServiceError::invalid("name", e.0))?;
    let description = description.trim();
    if description.chars().count() > 500 {
        return Err(ServiceError::invalid(
            "description",
            "at most 500 characters",
        ));
    }
    check_free_text(description).map_err(|e| ServiceError::invalid("description", e.0))?;
    let role = Role {
        name: name.as_str().to_owned(),
        description: description.to_owned(),
        created_at: store::now(),
    };
    store::write_transaction(conn, |conn| {
        if roles::find(conn, &role.name)?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "the role {} already exists",
                role.name
            )));
        }
        roles::insert(conn, &role)?;
        if let Some(org) = actor.home_org() {
            audit::record(
                conn,
                org,
                actor,
                audit::ROLE_CREATED,
                &role.name,
                Some(&role.name),
                json!({"description": role.description}),
            )?;
        }
        Ok(())
    })?;
    Ok(role)
}

/// Removes a role from the catalog; refused while any client holds it, and for the two
/// built-in admin roles.
pub fn delete(conn: &mut DbConnection, actor: &Principal, name: &str) -> Result<(), ServiceError> {
    require_platform_admin(actor)?;
    actor.require_recent_sign_in()?;
    let name = RoleName::parse(name).map_err(|_| ServiceError::NotFound("role"))?;
    let name = name.as_str();
    if name == ORG_ADMIN || name == PLATFORM_ADMIN {
        return Err(ServiceError::Conflict(format!(
            "{name} is built in and cannot be deleted"
        )));
    }
    store::write_transaction(conn, |conn| {
        if roles::find(conn, name)?.is_none() {
            return Err(ServiceError::NotFound("role"));
        }
        if roles::is_held(conn, name)? {
            return Err(ServiceError::Conflict(format!(
                "the role {name} is still held by at least one client; remove it from them first"
            )));
        }
        roles::delete(conn, name)?;
        if let Some(org) = actor.home_org() {
            audit::record(
                conn,
                org,
                actor,
                audit::ROLE_DELETED,
                name,
                Some(name),
                json!({}),
            )?;
        }
        Ok(())
    })
}

fn require_platform_admin(actor: &Principal) -> Result<(), ServiceError> {
    if actor.is_platform_admin() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "managing the role catalog needs platform:admin".into(),
        ))
    }
}
