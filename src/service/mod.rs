//! Use cases, one function each, shared by the HTTP API, the CLI and the bootstrap: they
//! validate with the domain types, hash outside any transaction, and write in one.
//! They are blocking (diesel, argon2): call them from `web::block` or the CLI.

pub mod bootstrap;
pub mod clients;
pub mod organizations;
pub mod roles;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(StoreError::Query(e))
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
