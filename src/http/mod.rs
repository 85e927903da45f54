//! The HTTP surface: OAuth endpoints (RFC 6749 errors), the admin API (problem+json), and
//! operations (health, readiness, metrics).

pub mod admin;
pub mod console;
pub mod oauth;
pub mod ops;

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;

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
    /// Behind a proxy: the header that carries the caller's address (trusted only if set).
    pub trusted_proxy_header: Option<HeaderName>,
}

impl AppState {
    /// The caller's address for brute-force accounting: the configured proxy header (the last,
    /// proxy-appended entry of a list) if set, else the TCP peer.
    pub fn source_address(&self, req: &HttpRequest) -> Option<IpAddr> {
        if let Some(name) = &self.trusted_proxy_header {
            let value = req.headers().get(name)?.to_str().ok()?;
            return value.rsplit(',').next()?.trim().parse().ok();
        }
        req.peer_addr().map(|a| a.ip())
    }
}

/// The client a request acted as, for the request log line.
#[derive(Clone)]
pub struct LoggedClient(pub String);
