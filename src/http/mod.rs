//! The HTTP surface: OAuth endpoints (RFC 6749 errors), the admin API (problem+json), and
//! operations (health, readiness, metrics).

pub mod admin;
pub mod body;
pub mod client_address;
pub mod console;
pub mod oauth;
pub mod ops;

use std::net::IpAddr;

use actix_web::{HttpMessage, HttpRequest};

use crate::client_auth::ClientAuthenticator;
use crate::domain::SecretHasher;
use crate::last_used::LastUsedRecorder;
use crate::store::Pool;
use crate::token::{Audiences, TokenIssuer};

/// Everything a handler may need, built once at start and shared by every worker.
pub struct AppState {
    pub pool: Pool,
    pub authenticator: ClientAuthenticator,
    pub issuer: TokenIssuer,
    /// Values `audience`/`resource` may take.
    pub audiences: Audiences,
    pub hasher: SecretHasher,
    pub last_used: LastUsedRecorder,
    /// The admin API's OpenAPI document, serialized once.
    pub openapi_json: actix_web::web::Bytes,
    /// Who the caller is at the network level (peer, or the forwarding header from a trusted
    /// proxy).
    pub client_address: client_address::ClientAddressResolver,
}

impl AppState {
    /// The caller's address for brute-force accounting; noted for the request log too.
    pub fn source_address(&self, req: &HttpRequest) -> Option<IpAddr> {
        let address = self.client_address.resolve(req);
        if let Some(address) = address {
            req.extensions_mut().insert(LoggedAddress(address));
        }
        address
    }
}

/// The address the brute-force limiter used, for the request log line.
#[derive(Clone, Copy)]
pub struct LoggedAddress(pub IpAddr);

/// The client a request acted as, for the request log line.
#[derive(Clone)]
pub struct LoggedClient(pub String);
