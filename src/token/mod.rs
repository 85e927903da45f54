//! Signing keys and access tokens.
//!
//! Tokens are RFC 9068 JWTs signed with aws-lc-rs key pairs that are parsed once when the key
//! set loads; the JOSE header of each key is serialized and base64url-encoded once too, so
//! issuing a token costs one claims serialization and one signature. Verification (admin API,
//! introspection, tests) goes through `jsonwebtoken` with the algorithm pinned per key.

mod claims;
mod keys;
mod verify;

pub use claims::{AccessTokenClaims, IssuedToken, TokenIssuer};
pub use keys::{KeyError, KeyInfo, KeySet, SigningAlg, generate_key, list_keys};
pub use verify::Expiry;
