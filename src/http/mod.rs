//! The HTTP surface: OAuth endpoints (RFC 6749 errors), the admin API (problem+json), and
//! operations (health, readiness, metrics).

pub mod admin;
pub mod body;
pub mod client_address;
pub mod console;
pub mod oauth;
pub mod ops;
pub mod people;
pub mod request_log;
pub mod session_cookie;
pub mod tls;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpMessage, HttpRequest};

use crate::client_auth::ClientAuthenticator;
use crate::domain::SecretHasher;
use crate::last_used::LastUsedRecorder;
use crate::store::Pool;
use crate::store::changes::ChangeListener;
use crate::token::{Audiences, KeyEncryptionKey, SigningAlg, TokenIssuer};

/// Everything a handler may need, built once at start and shared by every worker.
pub struct AppState {
    pub pool: Pool,
    pub authenticator: ClientAuthenticator,
    /// Unexpired revocations, in memory (introspection).
    pub revoked_tokens: Arc<crate::revoked_tokens::RevokedTokens>,
    /// Holds back the answers to addresses over their failure limit.
    pub tarpit: oauth::tarpit::Tarpit,
    pub issuer: Arc<TokenIssuer>,
    /// Opens the signing keys stored in the database.
    pub kek: Arc<KeyEncryptionKey>,
    /// Keeps the change watcher running (it stops when this is dropped).
    pub changes: Arc<dyn ChangeListener>,
    /// Reloads the signing keys on change; says whether they are known to be current.
    pub key_reloader: Arc<crate::service::signing_keys::KeyReloader>,
    pub keys: KeySchedule,
    /// Values `audience`/`resource` may take.
    pub audiences: Audiences,
    pub hasher: SecretHasher,
    pub last_used: LastUsedRecorder,
    /// The admin API's OpenAPI document, serialized once.
    pub openapi_json: actix_web::web::Bytes,
    /// Who the caller is at the network level (peer, or the forwarding header from a trusted
    /// proxy).
    pub client_address: client_address::ClientAddressResolver,
    /// Session lifetimes and the step-up window.
    pub people: crate::config::PeopleSettings,
    /// Failed sign-ins and invitation lookups, per address.
    pub people_limiter: crate::client_auth::FailureLimiter,
    /// Sends invitations when SMTP is configured.
    pub mailer: crate::mail::Mailer,
    /// Passkeys: this server as the browsers' relying party.
    pub relying_party: Arc<crate::service::people::passkeys::RelyingParty>,
    /// Single sign-on: this server as the organizations' IdPs' relying party.
    pub sso: Arc<crate::service::sso::relying_party::SsoRelyingParty>,
    /// Token Status Lists: the indices tokens carry, and the lists served from memory.
    pub status_lists: Arc<crate::status_lists::StatusLists>,
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

/// How this instance schedules signing keys (`service::signing_keys::maintain`).
#[derive(Clone, Copy, Debug)]
pub struct KeySchedule {
    /// The algorithm of keys generated here.
    pub alg: SigningAlg,
    /// How long a next key is published before it signs.
    pub activation_delay: Duration,
    /// Rotate when the active key is this old (`None`: never automatically).
    pub rotation_interval: Option<Duration>,
}

/// The address the brute-force limiter used, for the request log line.
#[derive(Clone, Copy)]
pub struct LoggedAddress(pub IpAddr);

/// The client a request acted as, for the request log line.
#[derive(Clone)]
pub struct LoggedClient(pub String);
