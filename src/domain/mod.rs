//! Values that are parsed once at the edge so the rest of the code cannot hold an invalid one.

mod ids;
mod name;
mod random;
mod role;
mod secret;

pub use ids::{ClientId, OrgId};
pub use name::{DisplayName, check_free_text};
pub use random::random_base62;
pub use role::{ORG_ADMIN, PLATFORM_ADMIN, RoleName, RoleSet, Scope};
pub use secret::{
    ClientSecret, NewClientSecret, SECRET_LEN, SecretFormatError, SecretHash, SecretHasher,
};

/// A value that failed to parse, with a message fit to show the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);
