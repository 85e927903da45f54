//! Use cases, one function each, shared by the HTTP API, the CLI and the bootstrap: they
//! validate with the domain types, enforce who may do what, hash outside any transaction, and
//! write the change and its audit event in one transaction.
//! They are blocking (diesel, argon2): call them from the blocking pool or the CLI.

pub mod access;
pub mod audit;
pub mod bootstrap;
pub mod client_secrets;
pub mod client_settings;
pub mod clients;
pub mod introspection;
pub mod key_encryption;
pub mod organizations;
pub mod people;
pub mod roles;
pub mod signing_keys;
pub mod sso;
pub mod trust_policies;

pub use self::access::{ClientPrincipal, Principal, UserPrincipal};
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
    /// A person's sign-in is older than the re-authentication window (seconds) allows.
    #[error("this change needs a recent sign-in; sign in again and retry")]
    StepUpRequired(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keys(#[from] crate::token::KeyError),
    /// Out of room for now (a bounded table is full): `503`, retry later.
    #[error("{0}")]
    Busy(String),
    /// A bug or a corrupt record: logged, answered 500.
    #[error("internal error: {0}")]
    Internal(String),
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
