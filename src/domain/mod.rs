//! Values that are parsed once at the edge so the rest of the code cannot hold an invalid one.

pub mod client_keys;
mod ids;
pub mod jose;
mod name;
mod people;
mod random;
mod role;
mod secret;
pub mod trust_policy;

pub use client_keys::ClientKeys;
pub use ids::{ClientId, OrgId};
pub use name::{DisplayName, check_free_text};
pub use people::{BearerSecret, Email, MembershipRole, ORG_VIEWER, hash_bytes, hash_text};
pub use random::random_base62;
pub use role::{ORG_ADMIN, PLATFORM_ADMIN, RoleName, RoleSet, Scope};
pub use secret::{
    ClientSecret, NewClientSecret, SECRET_LEN, SecretFormatError, SecretHash, SecretHasher,
};

/// A value that failed to parse, with a message fit to show the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// How a client authenticates at the token endpoint (RFC 7591 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// A shared secret, by HTTP Basic (`client_secret_basic`) or in the body
    /// (`client_secret_post`): both are accepted.
    ClientSecret,
    /// An assertion signed with one of its registered keys (RFC 7523 §2.2).
    PrivateKeyJwt,
}

impl AuthMethod {
    pub const CLIENT_SECRET_BASIC: &str = "client_secret_basic";
    pub const CLIENT_SECRET_POST: &str = "client_secret_post";
    pub const PRIVATE_KEY_JWT: &str = "private_key_jwt";

    /// The stored or sent name; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            Self::CLIENT_SECRET_BASIC | Self::CLIENT_SECRET_POST => Some(Self::ClientSecret),
            Self::PRIVATE_KEY_JWT => Some(Self::PrivateKeyJwt),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecret => Self::CLIENT_SECRET_BASIC,
            Self::PrivateKeyJwt => Self::PRIVATE_KEY_JWT,
        }
    }
}
