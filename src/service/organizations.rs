use super::ServiceError;
use crate::domain::{DisplayName, OrgId};
use crate::store::organizations::{self, Organization};
use crate::store::{self, DbConnection};

pub fn create(conn: &mut DbConnection, name: &str) -> Result<Organization, ServiceError> {
    let name = DisplayName::parse(name).map_err(|e| ServiceError::invalid("name", e.0))?;
    let org = Organization {
        id: OrgId::generate().as_str().to_owned(),
        name: name.into_inner(),
        created_at: store::now(),
    };
    organizations::insert(conn, &org)?;
    Ok(org)
}
