//! Client authentication for the `/oauth/*` endpoints: is this the secret of this client?
//!
//! Design of the hot path:
//! - The client's row (hash, grace-period hash, org, roles) is read through the pool on the
//!   blocking thread pool, never on an actix worker. Reading it on every request is what keeps
//!   every instance coherent: a rotation or deletion committed by any instance is seen by the
//!   next request everywhere.
//! - A successful verification is remembered as `HMAC(process key, client_id ‖ secret)` →
//!   the stored hash it matched. A later request skips argon2 only if its MAC is known *and*
//!   that hash is still the client's current hash (or its unexpired grace-period hash). A
//!   rotation changes the stored hash and a deletion removes the row, so a cached entry can
//!   never let an old secret through; the HMAC key never leaves memory, so the cache holds
//!   nothing that could be replayed or brute-forced offline.
//! - Requests answered by the cache are never rate limited: successful clients are not slowed.
//!   Every other attempt first passes the failure limiter (per client ID and per source
//!   address), then waits at most `argon2_queue_timeout` for one of `argon2_concurrency`
//!   argon2 slots (as many dedicated threads), so a flood of wrong secrets can take neither
//!   all cores nor unbounded memory.
//! - An unknown client costs one argon2 verification against a dummy hash, so timing does not
//!   tell whether a client ID exists.

mod argon2_pool;
mod cache;
mod limiter;

pub use limiter::LimiterSettings;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use self::argon2_pool::Argon2Pool;
use self::cache::VerifiedCache;
use self::limiter::FailureLimiter;
use crate::domain::{ClientId, ClientSecret, NewClientSecret, SecretHash, SecretHasher};
use crate::metrics::METRICS;
use crate::store::clients::ClientCredentials;
use crate::store::{self, Pool, StoreError};

/// An authenticated client: what a token is made of.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub id: String,
    pub org_id: String,
    pub roles: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    /// Unknown client or wrong secret, indistinguishably.
    #[error("client authentication failed")]
    Rejected,
    #[error("too many failed attempts")]
    RateLimited { retry_after: Duration },
    #[error("too many secret verifications in flight")]
    Overloaded,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct AuthSettings {
    pub argon2_concurrency: usize,
    pub argon2_queue_timeout: Duration,
    pub limiter: LimiterSettings,
}

pub struct ClientAuthenticator {
    pool: Pool,
    cache: VerifiedCache,
    limiter: FailureLimiter,
    argon2: Argon2Pool,
    argon2_permits: Arc<Semaphore>,
    argon2_queue_timeout: Duration,
    dummy_hash: SecretHash,
}

impl ClientAuthenticator {
    pub fn new(pool: Pool, hasher: &SecretHasher, settings: AuthSettings) -> Self {
        Self {
            pool,
            cache: VerifiedCache::new(),
            limiter: FailureLimiter::new(settings.limiter),
            argon2: Argon2Pool::new(settings.argon2_concurrency),
            argon2_permits: Arc::new(Semaphore::new(settings.argon2_concurrency.max(1))),
            argon2_queue_timeout: settings.argon2_queue_timeout,
            dummy_hash: hasher.hash(NewClientSecret::generate().secret()),
        }
    }

    pub async fn authenticate(
        &self,
        client_id: &ClientId,
        secret: &ClientSecret,
        source: Option<IpAddr>,
    ) -> Result<AuthenticatedClient, AuthFailure> {
        let id = client_id.as_str().to_owned();
        let creds = store::run(&self.pool, move |conn| {
            store::clients::find_credentials(conn, &id).map_err(StoreError::Query)
        })
        .await?;

        let now = store::now();
        let mac = self.cache.mac(client_id, secret);
        let cached = creds.as_ref().is_some_and(|creds| {
            self.cache
                .get(client_id, &mac)
                .is_some_and(|hash| accepts(creds, &hash, now))
        });
        if cached && let Some(creds) = creds {
            METRICS
                .secret_verifications
                .with_label_values(&["cache"])
                .inc();
            return Ok(authenticated(creds));
        }

        if let Some(retry_after) = self.limiter.check(client_id.as_str(), source) {
            return Err(AuthFailure::RateLimited { retry_after });
        }

        match creds {
            None => {
                self.verify_argon2(self.dummy_hash.as_str(), secret).await?;
            }
            Some(creds) => {
                let grace = creds
                    .previous_secret
                    .as_ref()
                    .filter(|(_, until)| now < *until)
                    .map(|(prev, _)| prev.as_str());
                for hash in std::iter::once(creds.secret_hash.as_str()).chain(grace) {
                    if self.verify_argon2(hash, secret).await? {
                        let hash = hash.to_owned();
                        self.cache
                            .insert(client_id, mac, hash, |h| accepts(&creds, h, now));
                        return Ok(authenticated(creds));
                    }
                }
            }
        }
        self.limiter.record_failure(client_id.as_str(), source);
        Err(AuthFailure::Rejected)
    }

    async fn verify_argon2(&self, hash: &str, secret: &ClientSecret) -> Result<bool, AuthFailure> {
        let permit = tokio::time::timeout(
            self.argon2_queue_timeout,
            self.argon2_permits.clone().acquire_owned(),
        )
        .await
        .map_err(|_| AuthFailure::Overloaded)?
        .map_err(|_| AuthFailure::Overloaded)?;
        METRICS
            .secret_verifications
            .with_label_values(&["argon2"])
            .inc();
        let verified = self
            .argon2
            .verify(SecretHash::from_stored(hash.to_owned()), secret.clone())
            .await;
        drop(permit);
        Ok(verified)
    }

    /// Forgets every cached verification of `client_id` (after a rotation or a deletion).
    pub fn forget(&self, client_id: &str) {
        self.cache.remove(client_id);
    }
}

/// Whether `hash` is one the client's secret may match now: the current one, or the
/// previous one during its grace period.
fn accepts(creds: &ClientCredentials, hash: &str, now: chrono::NaiveDateTime) -> bool {
    hash == creds.secret_hash
        || creds
            .previous_secret
            .as_ref()
            .is_some_and(|(prev, until)| hash == prev && now < *until)
}

fn authenticated(creds: ClientCredentials) -> AuthenticatedClient {
    AuthenticatedClient {
        id: creds.id,
        org_id: creds.org_id,
        roles: creds.roles,
    }
}
