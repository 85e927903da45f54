//! First start: an empty database gets a bootstrap organization (the platform organization)
//! and an admin client holding `platform:admin` and `org:admin`, so there is someone to call
//! the admin API, and an invitation for the first platform admin, so a person can open the
//! console.

use super::clients::{self, NewClient};
use super::organizations;
use super::people::invitations::{self, CreatedInvitation, NewInvitation};
use super::{Principal, ServiceError};
use crate::domain::{
    ClientId, ClientSecret, DisplayName, Email, MembershipRole, NewClientSecret, ORG_ADMIN, OrgId,
    PLATFORM_ADMIN, RoleSet, SecretHasher,
};
use crate::store::{self, DbConnection};

pub struct Bootstrapped {
    pub org_id: String,
    pub client_id: String,
    /// The generated secret; `None` when it came from the environment (never echoed).
    pub generated_secret: Option<String>,
    /// The first platform admin's invitation: its token, for the link printed once.
    pub invitation: CreatedInvitation,
}

/// Creates the bootstrap organization and admin client when the database holds no client at
/// all; does nothing otherwise. One transaction: an interrupted bootstrap leaves nothing.
pub fn ensure(
    conn: &mut DbConnection,
    hasher: &SecretHasher,
    client_id: Option<ClientId>,
    client_secret: Option<ClientSecret>,
    admin_email: Email,
) -> Result<Option<Bootstrapped>, ServiceError> {
    store::write_transaction(conn, |conn| {
        create_if_empty(conn, hasher, client_id, client_secret, admin_email)
    })
}

fn create_if_empty(
    conn: &mut DbConnection,
    hasher: &SecretHasher,
    client_id: Option<ClientId>,
    client_secret: Option<ClientSecret>,
    admin_email: Email,
) -> Result<Option<Bootstrapped>, ServiceError> {
    store::lock_for_bootstrap(conn)?;
    if store::clients::count(conn)? > 0 {
        return Ok(None);
    }
    let secret_from_env = client_secret.is_some();
    let actor = Principal::Operator("bootstrap");
    let org_id = OrgId::generate();
    let name = |s| DisplayName::parse(s).map_err(|e| ServiceError::invalid("name", e.0));
    let org =
        organizations::create_with_id(conn, &actor, &org_id, name("Bootstrap organization")?)?;
    store::organizations::mark_platform(conn, &org.id)?;
    let roles = RoleSet::parse(&[PLATFORM_ADMIN, ORG_ADMIN])
        .map_err(|e| ServiceError::invalid("roles", e.0))?;
    let created = clients::create(
        conn,
        hasher,
        &actor,
        NewClient {
            org_id: org_id.clone(),
            name: name("Bootstrap admin")?,
            roles,
            id: client_id,
            secret: client_secret.map(NewClientSecret::from),
            settings: Default::default(),
            secret_expires_at: None,
        },
    )?;
    let invitation = invitations::create(
        conn,
        &actor,
        &org_id,
        NewInvitation {
            email: admin_email,
            role: MembershipRole::PlatformAdmin,
            expires_in_days: invitations::DEFAULT_DAYS,
        },
    )?;
    Ok(Some(Bootstrapped {
        invitation,
        org_id: org.id,
        client_id: created.client.row.id,
        generated_secret: (!secret_from_env).then(|| created.secret.into_plaintext()),
    }))
}
