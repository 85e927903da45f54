//! Client authentication for the `/oauth/*` endpoints: is this the secret of this client?
//!
//! Design of the hot path:
//! - The client's record (hash, grace-period hash, org, roles) comes from memory
//!   (`credentials`): a known client's token needs no database round trip and no hop to
//!   another thread (`client_records`). A miss reads it through the pool on the blocking
//!   thread pool. Changes invalidate the record at once on this instance and within ~100 ms on
//!   the others (`store::changes`: Postgres LISTEN/NOTIFY, SQLite `data_version`).
//! - A successful verification is remembered as `HMAC(process key, client_id ‖ secret)` →
//!   the stored hash it matched. A later request skips argon2 only if its MAC is known *and*
//!   that hash is still the client's current hash (or its unexpired grace-period hash). A
//!   rotation changes the stored hash and a deletion removes the row, so a cached entry can
//!   never let an old secret through; the HMAC key never leaves memory, so the cache holds
//!   nothing that could be replayed or brute-forced offline.
//! - Requests answered by the cache are never rate limited: successful clients are not slowed.
//!   Every other attempt first passes the failure limiter (per client ID *at one address*, and
//!   per address, never per client ID alone: no lockout lever), then waits at most
//!   `argon2_queue_timeout` for one of `argon2_concurrency` argon2 slots (as many dedicated
//!   threads), so a flood of wrong secrets can take neither all cores nor unbounded memory.
//! - Single flight: concurrent requests presenting the same secret for the same client share
//!   one verification (and one limiter attempt), so a fleet reconnecting after a restart or a
//!   rotation costs one argon2 check per client, not one per request.
//! - A failure costs two argon2 verifications whatever the state: unknown client (twice the
//!   dummy hash), wrong secret without a grace period (current hash, then the dummy), wrong
//!   secret during one (current, then the grace hash). So timing tells neither whether a client
//!   ID exists nor whether a rotation is under way.

mod argon2_pool;
mod assertion;
mod client_records;
mod limiter;
pub mod remote_keys;
mod secret;
mod verified_secrets;
mod workload;

pub use limiter::{Attempt, FailureLimiter, counted_address};

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use self::argon2_pool::Argon2Pool;
use self::client_records::ClientRecords;
use self::remote_keys::{RemoteKeys, RemotePolicy};
use self::verified_secrets::VerifiedSecrets;
use crate::config::LimiterSettings;
use crate::domain::{ClientId, NewClientSecret, RoleSet, SecretHash, SecretHasher};
use crate::store::clients::{Admission, ClientCredentials, Presented};
use crate::store::{self, Pool, StoreError};

/// An authenticated client: what a token is made of.
#[derive(Clone)]
pub struct AuthenticatedClient(Arc<ClientCredentials>);

impl AuthenticatedClient {
    pub fn id(&self) -> &str {
        &self.0.id
    }

    pub fn org_id(&self) -> &str {
        &self.0.org_id
    }

    pub fn roles(&self) -> &RoleSet {
        &self.0.roles
    }

    /// The client's own token lifetime, if it has one.
    pub fn token_ttl(&self) -> Option<Duration> {
        self.0
            .token_ttl_seconds
            .and_then(|s| u64::try_from(s).ok())
            .map(Duration::from_secs)
    }

    /// Right after an admin revoked this client's tokens, how long to wait so that the next
    /// token's `iat` is past the cut-off second (at most a second, once per revocation).
    pub fn token_wait(&self) -> Option<Duration> {
        self.0.token_wait(chrono::Utc::now())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    /// Unknown client or wrong secret, indistinguishably.
    #[error("client authentication failed")]
    Rejected,
    /// The secret is right, but the client may not authenticate now.
    #[error("{0}")]
    Refused(&'static str),
    #[error("too many failed attempts")]
    RateLimited { retry_after: Duration },
    #[error("too many secret verifications in flight")]
    Overloaded,
    /// A workload issuer's keys could not be fetched.
    #[error("the workload token's issuer could not be reached")]
    IssuerUnreachable,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct AuthSettings {
    pub argon2_concurrency: usize,
    pub argon2_queue_timeout: Duration,
    pub limiter: LimiterSettings,
    /// How old the last confirmation that no change was missed may be for memory to be used.
    pub max_staleness: Duration,
    /// Where remote key sets may be fetched from beyond public `https` on 443.
    pub remote: RemotePolicy,
    /// This server's issuer URL (what a trust policy's audience must be).
    pub server_issuer: String,
}

pub struct ClientAuthenticator {
    /// Re-hashes secrets stored at another cost.
    hasher: SecretHasher,
    /// Verifications under way, by (client, MAC of the presented secret).
    in_flight: parking_lot::Mutex<HashMap<(String, verified_secrets::Mac), secret::Flight>>,
    pool: Pool,
    clients: Arc<ClientRecords>,
    cache: VerifiedSecrets,
    limiter: FailureLimiter,
    argon2: Argon2Pool,
    dummy_hash: SecretHash,
    remote_keys: RemoteKeys,
    server_issuer: String,
}

impl ClientAuthenticator {
    pub fn new(pool: Pool, hasher: &SecretHasher, settings: AuthSettings) -> Self {
        let clients = Arc::new(ClientRecords::new(settings.max_staleness));
        Self {
            hasher: hasher.clone(),
            in_flight: parking_lot::Mutex::default(),
            pool,
            clients,
            cache: VerifiedSecrets::new(),
            limiter: FailureLimiter::new(settings.limiter),
            argon2: Argon2Pool::new(settings.argon2_concurrency, settings.argon2_queue_timeout),
            dummy_hash: hasher.hash(NewClientSecret::generate().secret()),
            remote_keys: RemoteKeys::new(settings.remote),
            server_issuer: settings.server_issuer,
        }
    }

    /// The start of a signed-token authentication (an assertion, a workload token): the
    /// limiter first (past its limit, an address costs not even a lookup; a signature check is
    /// cheap, so a busy client's concurrent requests are not held back), then the client.
    async fn begin_signed(
        &self,
        client_id: &ClientId,
        source: Option<IpAddr>,
    ) -> Result<(limiter::Attempt<'_>, Option<Arc<ClientCredentials>>), AuthFailure> {
        let attempt = self
            .limiter
            .begin_cheap(client_id.as_str(), source)
            .map_err(|retry_after| AuthFailure::RateLimited { retry_after })?;
        match self.client(client_id.as_str()).await {
            Ok(creds) => Ok((attempt, creds)),
            Err(e) => {
                attempt.not_checked();
                Err(e.into())
            }
        }
    }

    /// A client as it is now: from memory when fresh (the token path's records), else from
    /// the database. Introspection judges tokens by it.
    pub async fn client(
        &self,
        client_id: &str,
    ) -> Result<Option<Arc<ClientCredentials>>, StoreError> {
        match self.clients.get(client_id) {
            Some(creds) => Ok(Some(creds)),
            None => self.load(client_id).await,
        }
    }

    async fn load(&self, client_id: &str) -> Result<Option<Arc<ClientCredentials>>, StoreError> {
        let ticket = self.clients.begin_load();
        let id = client_id.to_owned();
        let creds = store::run(&self.pool, move |conn| {
            store::clients::find_credentials(conn, &id).map_err(StoreError::Query)
        })
        .await?
        .map(Arc::new);
        if let Some(creds) = &creds {
            self.clients.insert(ticket, creds.clone());
        }
        Ok(creds)
    }

    /// Loads the records of the `limit` most recently used clients in one go, once the change
    /// watcher has confirmed this instance is up to date (within `wait`): after a restart the
    /// returning fleet then costs one argon2 check per client and no database round trip.
    /// Returns the IDs of those that had been used before (their `last_used_at` is set).
    pub async fn preload(&self, limit: usize, wait: Duration) -> Result<Vec<String>, StoreError> {
        let started = tokio::time::Instant::now();
        while !self.clients.is_fresh() {
            if started.elapsed() > wait {
                return Ok(Vec::new());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let ticket = self.clients.begin_load();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let loaded = store::run(&self.pool, move |conn| {
            store::clients::recently_used_credentials(conn, limit).map_err(StoreError::Query)
        })
        .await?;
        let used: Vec<String> = loaded
            .iter()
            .filter(|(_, used)| *used)
            .map(|(creds, _)| creds.id.clone())
            .collect();
        let records = loaded.into_iter().map(|(creds, _)| creds).collect();
        Ok(if self.clients.insert_many(ticket, records) {
            used
        } else {
            Vec::new()
        })
    }

    /// The remote key sets, and the rules for where they may come from.
    pub fn remote_keys(&self) -> &RemoteKeys {
        &self.remote_keys
    }

    /// How long ago this instance last confirmed it had every change made elsewhere.
    pub fn confirmation_age(&self) -> Option<Duration> {
        self.clients.confirmation_age()
    }

    /// What must hear about changes made through other instances (`store::changes::watch`).
    pub fn change_listener(&self) -> Arc<dyn store::changes::ChangeListener> {
        self.clients.clone()
    }

    /// Drops what this instance remembers of `client_id`; call after a change commits.
    pub fn forget(&self, client_id: &str) {
        self.clients.forget(client_id);
        self.cache.remove(client_id);
    }
}

fn authenticated(creds: Arc<ClientCredentials>) -> AuthenticatedClient {
    AuthenticatedClient(creds)
}

/// A client whose credential verified, if the one gate admits it (`ClientCredentials::admit`).
fn admitted(
    creds: Arc<ClientCredentials>,
    presented: Presented,
    now: chrono::NaiveDateTime,
) -> Result<AuthenticatedClient, AuthFailure> {
    match creds.admit(presented, now) {
        Admission::Admitted => Ok(authenticated(creds)),
        Admission::Rejected => Err(AuthFailure::Rejected),
        Admission::Refused(reason) => Err(AuthFailure::Refused(reason)),
    }
}
