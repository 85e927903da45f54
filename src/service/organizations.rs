use serde_json::json;

use super::{Principal, ServiceError, audit};
use crate::domain::{DisplayName, OrgId};
use crate::store::organizations::{self, Organization};
use crate::store::{self, DbConnection};

pub fn create(
    conn: &mut DbConnection,
    actor: &Principal,
    name: DisplayName,
) -> Result<Organization, ServiceError> {
    create_with_id(conn, actor, &OrgId::generate(), name)
}

/// `create` with the ID chosen by the caller (the bootstrap, which goes on to use it).
pub fn create_with_id(
    conn: &mut DbConnection,
    actor: &Principal,
    id: &OrgId,
    name: DisplayName,
) -> Result<Organization, ServiceError> {
    if !actor.is_platform_admin() {
        return Err(ServiceError::Forbidden(
            "creating organizations needs platform:admin".into(),
        ));
    }
    let org = Organization {
        id: id.as_str().to_owned(),
        name: name.into_inner(),
        created_at: store::now(),
        max_secret_lifetime_seconds: None,
        platform: false,
    };
    store::write_transaction(conn, |conn| {
        organizations::insert(conn, &org)?;
        audit::record(
            conn,
            &org.id,
            actor,
            audit::ORGANIZATION_CREATED,
            &org.id,
            Some(&org.name),
            json!({"name": org.name}),
        )
    })?;
    Ok(org)
}

/// One page of the organizations, oldest first (platform:admin).
pub fn list(
    conn: &mut DbConnection,
    actor: &Principal,
    after: Option<(chrono::NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<Organization>, ServiceError> {
    if !actor.is_platform_admin() {
        return Err(ServiceError::Forbidden(
            "listing organizations needs platform:admin".into(),
        ));
    }
    Ok(organizations::page(conn, after, limit)?)
}

/// Renames an organization (platform:admin), audited with the old and new names.
pub fn rename(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    name: DisplayName,
) -> Result<Organization, ServiceError> {
    if !actor.is_platform_admin() {
        return Err(ServiceError::Forbidden(
            "renaming organizations needs platform:admin".into(),
        ));
    }
    store::write_transaction(conn, |conn| {
        let before = organizations::find(conn, org_id.as_str())?
            .ok_or(ServiceError::NotFound("organization"))?;
        let name = name.into_inner();
        organizations::rename(conn, org_id.as_str(), &name)?;
        audit::record(
            conn,
            &before.id,
            actor,
            audit::ORGANIZATION_RENAMED,
            &before.id,
            Some(&name),
            json!({"name": {"from": before.name, "to": name}}),
        )?;
        Ok(Organization { name, ..before })
    })
}

/// The longest maximum secret lifetime an organization may set: ten years.
pub const MAX_SECRET_LIFETIME_SECONDS: i64 = 10 * 365 * 24 * 3600;

/// Sets or clears (`None`) the longest a client secret of the organization may live
/// (platform:admin). Secrets already issued keep their expiry; new ones follow it.
pub fn set_max_secret_lifetime(
    conn: &mut DbConnection,
    actor: &Principal,
    org_id: &OrgId,
    seconds: Option<i64>,
) -> Result<Organization, ServiceError> {
    if !actor.is_platform_admin() {
        return Err(ServiceError::Forbidden(
            "setting an organization's maximum secret lifetime needs platform:admin".into(),
        ));
    }
    if seconds.is_some_and(|s| !(3600..=MAX_SECRET_LIFETIME_SECONDS).contains(&s)) {
        return Err(ServiceError::invalid(
            "max_secret_lifetime_seconds",
            format!(
                "must be from 3600 (an hour) to {MAX_SECRET_LIFETIME_SECONDS} (ten years), or null"
            ),
        ));
    }
    store::write_transaction(conn, |conn| {
        let before = organizations::find(conn, org_id.as_str())?
            .ok_or(ServiceError::NotFound("organization"))?;
        organizations::set_max_secret_lifetime(conn, org_id.as_str(), seconds)?;
        audit::record(
            conn,
            &before.id,
            actor,
            audit::ORGANIZATION_UPDATED,
            &before.id,
            Some(&before.name),
            json!({
                "max_secret_lifetime_seconds": seconds,
                "previous_max_secret_lifetime_seconds": before.max_secret_lifetime_seconds,
            }),
        )?;
        Ok(Organization {
            max_secret_lifetime_seconds: seconds,
            ..before
        })
    })
}
