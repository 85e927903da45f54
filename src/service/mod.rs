//! Use cases, one function each, shared by the HTTP API, the CLI and the bootstrap: they
//! validate with the domain types, enforce who may do what, hash outside any transaction, and
//! write the change and its audit event in one transaction.
//! They are blocking (diesel, argon2): call them from the blocking pool or the CLI.

pub mod audit;
pub mod bootstrap;
pub mod client_settings;
pub mod clients;
pub mod introspection;
pub mod organizations;
pub mod roles;
pub mod signing_keys;
pub mod trust_policies;

use crate::domain::{ORG_ADMIN, OrgId, PLATFORM_ADMIN, RoleSet};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keys(#[from] crate::token::KeyError),
}

impl From<diesel::result::Error> for ServiceError {
    /// Constraint violations are what concurrent writers see when they race (two creates of
    /// one role, a role deleted while it is being assigned, a client deleted while it is being
    /// patched): the caller's request was fine, the world changed under it, so `409`.
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::Conflict("a record with the same key was created at the same time".into())
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => Self::Conflict(
                "a record this change refers to was changed or deleted at the same time; \
                 read it again and retry"
                    .into(),
            ),
            e => Self::Store(StoreError::Query(e)),
        }
    }
}

impl crate::store::Transient for ServiceError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// An authenticated admin client, as the admin API's bearer check established it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub client_id: String,
    pub org_id: String,
    /// The roles both its token and its current record grant.
    pub roles: Vec<String>,
}

/// Who performs a use case: an admin client over the API, or the operator on the command line
/// (who has the machine and the database already, so is not restricted).
#[derive(Debug, Clone)]
pub enum Actor {
    Operator(&'static str),
    Client(Caller),
}

impl Actor {
    /// The audit log's actor: a client ID, or `cli` / `bootstrap` for the operator.
    pub fn id(&self) -> &str {
        match self {
            Self::Operator(name) => name,
            Self::Client(c) => &c.client_id,
        }
    }

    pub fn has_role(&self, role: &str) -> bool {
        match self {
            Self::Operator(_) => true,
            Self::Client(c) => c.roles.iter().any(|r| r == role),
        }
    }

    pub fn is_platform_admin(&self) -> bool {
        self.has_role(PLATFORM_ADMIN)
    }

    /// Platform admins manage every organization; org admins their own only.
    pub fn can_manage_org(&self, org_id: &OrgId) -> bool {
        match self {
            Self::Operator(_) => true,
            Self::Client(c) => {
                self.is_platform_admin()
                    || (self.has_role(ORG_ADMIN) && c.org_id == org_id.as_str())
            }
        }
    }

    /// Whether the actor may hand out `role`: platform admins (and the operator) every catalog
    /// role, org admins every role but `platform:admin`.
    pub fn can_grant(&self, role: &str) -> bool {
        self.is_platform_admin() || (self.has_role(ORG_ADMIN) && role != PLATFORM_ADMIN)
    }

    /// The grant rule: an actor may act on a client (rotate, rename, re-role, delete) only if
    /// it could have granted every role that client holds. An org admin therefore never
    /// touches a `platform:admin` client, even one in its own organization.
    pub fn may_act_on(&self, client_roles: &RoleSet) -> Result<(), ServiceError> {
        match client_roles.iter().find(|r| !self.can_grant(r)) {
            None => Ok(()),
            Some(role) => Err(ServiceError::Forbidden(format!(
                "this client holds {role}, which the caller cannot grant, so the caller cannot \
                 change it"
            ))),
        }
    }

    /// The organization platform-level events (roles) are recorded under.
    fn home_org(&self) -> Option<&str> {
        match self {
            Self::Operator(_) => None,
            Self::Client(c) => Some(&c.org_id),
        }
    }
}
