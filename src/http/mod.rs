//! The HTTP surface: OAuth endpoints (RFC 6749 errors), discovery, and operations.

pub mod oauth;
pub mod ops;

use crate::client_auth::ClientAuthenticator;
use crate::store::Pool;
use crate::token::TokenIssuer;

/// Everything a handler may need, built once at start and shared by every worker.
pub struct AppState {
    pub pool: Pool,
    pub authenticator: ClientAuthenticator,
    pub issuer: TokenIssuer,
    /// Values `audience`/`resource` may take; the first is the default `aud`.
    pub audiences: Vec<String>,
}
