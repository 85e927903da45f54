//! Signing keys and access tokens.
//!
//! Tokens are RFC 9068 JWTs signed with aws-lc-rs key pairs that are parsed once when the key
//! set loads; the JOSE header of each key is serialized and base64url-encoded once too, so
//! issuing a token costs one claims serialization and one signature. Verification (admin API,
//! introspection, tests) goes through `jsonwebtoken` with the algorithm pinned per key.

mod grant;
mod issuer;
mod kek;
mod key_files;
mod key_set;
mod signing_key;
mod verified_tokens;
mod verify;

pub use grant::{Audiences, GrantError, granted_roles};
pub use issuer::{AccessTokenClaims, IssuedToken, TokenIssuer};
pub use kek::{KeyEncryptionKey, VARIABLE as KEK_VARIABLE};
pub use key_files::{KeyError, KeyInfo, check_key_permissions, generate_key, read_key_files};
pub use key_set::{KeySet, ScheduledKey};
pub use signing_key::{SigningAlg, SigningKey, generate_pkcs8};
pub use verify::Expiry;
