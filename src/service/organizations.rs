use serde_json::json;

use super::{Actor, ServiceError, audit};
use crate::domain::{DisplayName, OrgId};
use crate::store::organizations::{self, Organization};
use crate::store::{self, DbConnection};

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    name: &str,
) -> Result<Organization, ServiceError> {
    if !actor.is_platform_admin() {
        return Err(ServiceError::Forbidden(
            "creating organizations needs platform:admin".into(),
        ));
    }
    let name = DisplayName::parse(name).map_err(|e| ServiceError::invalid("name", e.0))?;
    let org = Organization {
        id: OrgId::generate().as_str().to_owned(),
        name: name.into_inner(),
        created_at: store::now(),
    };
    store::write_transaction(conn, |conn| {
        organizations::insert(conn, &org)?;
        audit::record(
            conn,
            &org.id,
            actor,
            audit::ORGANIZATION_CREATED,
            &org.id,
            json!({"name": org.name}),
        )
    })?;
    Ok(org)
}

pub fn list(conn: &mut DbConnection, actor: &Actor) -> Result<Vec<Organization>, ServiceError> {
    if !actor.is_platform_admin() {
        return Err(ServiceError::Forbidden(
            "listing organizations needs platform:admin".into(),
        ));
    }
    Ok(organizations::list(conn)?)
}

/// The organization, if `actor` may manage it; `NotFound` otherwise, so that another
/// organization's existence is not revealed.
pub fn find_managed(
    conn: &mut DbConnection,
    actor: &Actor,
    org_id: &str,
) -> Result<Organization, ServiceError> {
    let org_id = OrgId::parse(org_id).map_err(|_| ServiceError::NotFound("organization"))?;
    if !actor.can_manage_org(org_id.as_str()) {
        return Err(ServiceError::NotFound("organization"));
    }
    organizations::find(conn, org_id.as_str())?.ok_or(ServiceError::NotFound("organization"))
}
