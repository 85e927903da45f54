//! The HTTP surface: OAuth endpoints (RFC 6749 errors), discovery, and operations.

pub mod admin;
pub mod oauth;
pub mod ops;

use crate::client_auth::ClientAuthenticator;
use crate::domain::SecretHasher;
use crate::store::Pool;
use crate::token::TokenIssuer;
use crate::usage::LastUsedRecorder;

/// Everything a handler may need, built once at start and shared by every worker.
pub struct AppState {
    pub pool: Pool,
    pub authenticator: ClientAuthenticator,
    pub issuer: TokenIssuer,
    /// Values `audience`/`resource` may take; the first is the default `aud`.
    pub audiences: Vec<String>,
    pub hasher: SecretHasher,
    pub last_used: LastUsedRecorder,
    /// The admin API's OpenAPI document, serialized once.
    pub openapi_json: actix_web::web::Bytes,
}
