use super::ServiceError;
use crate::domain::{ClientId, DisplayName, NewClientSecret, RoleName, SecretHasher};
use crate::store::clients::{self, ClientRow};
use crate::store::{self, DbConnection, organizations, roles};

pub struct NewClient<'a> {
    pub org_id: &'a str,
    pub name: &'a str,
    pub roles: &'a [String],
    /// Set only for the bootstrap client taken from the environment.
    pub id: Option<ClientId>,
    pub secret: Option<NewClientSecret>,
}

/// A created client and its secret: the one place the plaintext leaves the server.
pub struct CreatedClient {
    pub row: ClientRow,
    pub roles: Vec<String>,
    pub secret: NewClientSecret,
}

/// Validates the roles against the catalog, hashes the secret, and writes the client and its
/// roles in one transaction.
pub fn create(
    conn: &mut DbConnection,
    hasher: &SecretHasher,
    new: NewClient<'_>,
) -> Result<CreatedClient, ServiceError> {
    let name = DisplayName::parse(new.name).map_err(|e| ServiceError::invalid("name", e.0))?;
    let roles = parse_roles(new.roles)?;
    if organizations::find(conn, new.org_id)?.is_none() {
        return Err(ServiceError::NotFound("organization"));
    }
    let missing = roles::missing(conn, &roles)?;
    if !missing.is_empty() {
        return Err(ServiceError::invalid(
            "roles",
            format!("not in the role catalog: {}", missing.join(", ")),
        ));
    }

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
    clients::insert(conn, &row, &roles)?;
    Ok(CreatedClient { row, roles, secret })
}

/// Parses, deduplicates and sorts a role list.
fn parse_roles(roles: &[String]) -> Result<Vec<String>, ServiceError> {
    let mut parsed = Vec::with_capacity(roles.len());
    for role in roles {
        let role = RoleName::parse(role).map_err(|e| ServiceError::invalid("roles", e.0))?;
        parsed.push(role.as_str().to_owned());
    }
    parsed.sort();
    parsed.dedup();
    Ok(parsed)
}
