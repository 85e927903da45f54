use super::ServiceError;
use crate::domain::RoleName;
use crate::store::roles::{self, Role};
use crate::store::{self, DbConnection};

/// Adds a role to the catalog.
pub fn create(
    conn: &mut DbConnection,
    name: &str,
    description: &str,
) -> Result<Role, ServiceError> {
    let name = RoleName::parse(name).map_err(|e| ServiceError::invalid("name", e.0))?;
    let description = description.trim();
    if description.chars().count() > 500 {
        return Err(ServiceError::invalid(
            "description",
            "at most 500 characters",
        ));
    }
    let role = Role {
        name: name.as_str().to_owned(),
        description: description.to_owned(),
        created_at: store::now(),
    };
    roles::insert(conn, &role)?;
    Ok(role)
}
