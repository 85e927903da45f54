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
mod client_records;
mod limiter;
mod verified_secrets;

pub use limiter::{LimiterSettings, counted_address};

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use self::argon2_pool::Argon2Pool;
use self::client_records::ClientRecords;
use self::limiter::FailureLimiter;
use self::verified_secrets::VerifiedSecrets;
use crate::domain::client_keys::AssertionError;
use crate::domain::{
    AuthMethod, ClientId, ClientSecret, NewClientSecret, RoleSet, SecretHash, SecretHasher,
};
use crate::metrics::METRICS;
use crate::remote_keys::{FetchError, RemoteKeys};
use crate::store::clients::ClientCredentials;
use crate::store::{self, Pool, StoreError};

/// An authenticated client: what a token is made of.
/// Where a trust policy's keys come from: its issuer, and its `jwks_uri` if it names one.
type KeySource = (String, Option<String>);
/// A verified token's claims.
type Claims = serde_json::Map<String, serde_json::Value>;

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

    /// Right after an admin revoked this client's tokens, how long to wait so that the next
    /// token's `iat` is past the cut-off second (at most a second, once per revocation).
    /// The client's own token lifetime, if it has one.
    pub fn token_ttl(&self) -> Option<Duration> {
        self.0
            .token_ttl_seconds
            .and_then(|s| u64::try_from(s).ok())
            .map(Duration::from_secs)
    }

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
    /// Whether workload issuers on loopback may be fetched over plain HTTP (tests, local
    /// development: `ORGAUTH_ALLOW_LOOPBACK_ISSUERS`).
    pub allow_loopback_issuers: bool,
}

/// What one verification concluded, shared by every request of its flight.
#[derive(Clone)]
enum Outcome {
    Verified(Arc<ClientCredentials>),
    Rejected,
    RateLimited(Duration),
    Overloaded,
}

type Flight = Arc<tokio::sync::OnceCell<Outcome>>;

pub struct ClientAuthenticator {
    /// Re-hashes secrets stored at another cost.
    hasher: SecretHasher,
    /// Verifications under way, by (client, MAC of the presented secret).
    in_flight: parking_lot::Mutex<HashMap<(String, verified_secrets::Mac), Flight>>,
    pool: Pool,
    clients: Arc<ClientRecords>,
    cache: VerifiedSecrets,
    limiter: FailureLimiter,
    argon2: Argon2Pool,
    dummy_hash: SecretHash,
    remote_keys: RemoteKeys,
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
            remote_keys: RemoteKeys::new(settings.allow_loopback_issuers),
        }
    }

    pub async fn authenticate(
        &self,
        client_id: &ClientId,
        secret: &ClientSecret,
        source: Option<IpAddr>,
    ) -> Result<AuthenticatedClient, AuthFailure> {
        let creds = match self.clients.get(client_id.as_str()) {
            Some(creds) => Some(creds),
            None => self.load(client_id.as_str()).await?,
        };

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
            return admitted(creds, AuthMethod::ClientSecret, now);
        }

        // Single flight: concurrent requests presenting the same secret for the same client
        // (a fleet after a restart or a rotation) wait for one verification, not one each.
        let key = (client_id.as_str().to_owned(), mac);
        let flight = self
            .in_flight
            .lock()
            .entry(key.clone())
            .or_default()
            .clone();
        let outcome = flight
            .get_or_init(|| self.verify_fresh(client_id, secret, source, creds, mac, now))
            .await
            .clone();
        {
            let mut in_flight = self.in_flight.lock();
            if in_flight.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                in_flight.remove(&key);
            }
        }
        match outcome {
            Outcome::Verified(creds) => admitted(creds, AuthMethod::ClientSecret, now),
            Outcome::Rejected => Err(AuthFailure::Rejected),
            Outcome::RateLimited(retry_after) => Err(AuthFailure::RateLimited { retry_after }),
            Outcome::Overloaded => Err(AuthFailure::Overloaded),
        }
    }

    /// The argon2 path, run once per flight.
    async fn verify_fresh(
        &self,
        client_id: &ClientId,
        secret: &ClientSecret,
        source: Option<IpAddr>,
        creds: Option<Arc<ClientCredentials>>,
        mac: verified_secrets::Mac,
        now: chrono::NaiveDateTime,
    ) -> Outcome {
        let attempt = match self.limiter.begin(client_id.as_str(), source) {
            Ok(attempt) => attempt,
            Err(retry_after) => return Outcome::RateLimited(retry_after),
        };

        // A failure always costs two verifications, whether or not a grace period is running
        // and whether or not the client exists, so timing tells an outsider neither. One
        // argon2 slot covers both.
        let Ok(slot) = self.argon2.slot().await else {
            attempt.not_checked();
            return Outcome::Overloaded;
        };
        let verify = |hash: &str| {
            METRICS
                .secret_verifications
                .with_label_values(&["argon2"])
                .inc();
            slot.verify(SecretHash::from_stored(hash.to_owned()), secret.clone())
        };
        let dummy = self.dummy_hash.as_str();
        let Some(creds) = creds else {
            verify(dummy).await;
            verify(dummy).await;
            return Outcome::Rejected;
        };
        let grace = creds
            .previous_secret
            .as_ref()
            .filter(|(_, until)| now < *until)
            .map(|(prev, _)| prev.as_str());
        let current = creds.secret_hash.as_str();
        let matched = if verify(current).await {
            Some(current)
        } else {
            let verified = verify(grace.unwrap_or(dummy)).await;
            grace.filter(|_| verified)
        };
        let Some(hash) = matched else {
            return Outcome::Rejected;
        };
        attempt.succeeded();
        if hash == current
            && self
                .hasher
                .needs_rehash(&SecretHash::from_stored(hash.to_owned()))
        {
            self.upgrade_hash(client_id, secret, hash);
        }
        let hash = hash.to_owned();
        self.cache
            .insert(client_id, mac, hash, |h| accepts(&creds, h, now));
        Outcome::Verified(creds)
    }

    /// Re-hashes a verified secret at the configured cost, in the background: existing
    /// installs move to a new cost as their clients next authenticate. The change is recorded
    /// so every instance reloads the record (and verifies once more, at the new cost).
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

    /// `private_key_jwt`: an assertion signed by one of the client's keys, for one of
    /// `audiences`, used once (the `jti` is recorded in the store, for every instance).
    /// Failures count against the same limits as wrong secrets.
    pub async fn authenticate_assertion(
        &self,
        client_id: &ClientId,
        assertion: &str,
        audiences: &[String],
        source: Option<IpAddr>,
    ) -> Result<AuthenticatedClient, AuthFailure> {
        let (attempt, creds) = self.begin_signed(client_id, source).await?;
        let key_client = creds
            .as_ref()
            .filter(|c| c.auth_method == AuthMethod::PrivateKeyJwt)
            .ok_or(AuthFailure::Rejected)?;
        let keys = match (&key_client.keys, &key_client.jwks_uri) {
            (_, Some(uri)) => {
                let kid = jsonwebtoken::decode_header(assertion)
                    .ok()
                    .and_then(|h| h.kid);
                match self.remote_keys.keys(uri, Some(uri), kid.as_deref()).await {
                    Ok(keys) => keys,
                    Err(e) => {
                        log::warn!(
                            client_id = client_id.as_str();
                            "the client's jwks_uri: {}",
                            e.to_string().escape_debug()
                        );
                        return Err(match *e {
                            FetchError::Failed(..) => AuthFailure::IssuerUnreachable,
                            FetchError::NotAllowed(..) => AuthFailure::Rejected,
                        });
                    }
                }
            }
            (Some(keys), None) => keys.clone(),
            (None, None) => return Err(AuthFailure::Rejected),
        };
        let now = chrono::Utc::now();
        let verified = keys
            .verify(assertion, client_id.as_str(), audiences, now.timestamp())
            .map_err(|e| match e {
                AssertionError::Invalid => AuthFailure::Rejected,
                AssertionError::Refused(reason) => AuthFailure::Refused(reason),
            })?;
        let expires_at = chrono::DateTime::from_timestamp(verified.remember_until(), 0)
            .map(|t| t.naive_utc())
            .ok_or(AuthFailure::Rejected)?;
        let id = client_id.as_str().to_owned();
        let fresh = store::run(&self.pool, move |conn| {
            store::client_assertions::record_once(conn, &id, &verified.jti, expires_at)
                .map_err(StoreError::Query)
        })
        .await;
        match fresh {
            Ok(true) => attempt.succeeded(),
            Ok(false) => {
                return Err(AuthFailure::Refused(
                    "the client assertion was already used (jti)",
                ));
            }
            Err(e) => {
                attempt.not_checked();
                return Err(AuthFailure::Store(e));
            }
        }
        let creds = creds.ok_or(AuthFailure::Rejected)?;
        admitted(creds, AuthMethod::PrivateKeyJwt, store::now())
    }

    /// Workload identity federation: a token of an external issuer, presented for
    /// `client_id`, admitted by one of that client's trust policies for the issuer (signed by
    /// a key the issuer publishes, within its own lifetime; it may be presented again until
    /// it expires). Failures count against the same limits as wrong secrets.
    pub async fn authenticate_workload(
        &self,
        client_id: &ClientId,
        token: &str,
        issuer: &str,
        source: Option<IpAddr>,
    ) -> Result<AuthenticatedClient, AuthFailure> {
        let (attempt, creds) = self.begin_signed(client_id, source).await?;
        let Some(creds) = creds else {
            return Err(AuthFailure::Rejected);
        };
        let (id, iss) = (
            client_id.as_str().to_owned(),
            issuer.trim_end_matches('/').to_owned(),
        );
        let policies = store::run(&self.pool, move |conn| {
            store::trust_policies::of_client_for_issuer(conn, &id, &iss).map_err(StoreError::Query)
        })
        .await;
        let policies = match policies {
            Ok(policies) => policies,
            Err(e) => {
                attempt.not_checked();
                return Err(e.into());
            }
        };
        let kid = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid);
        let mut unreachable = false;
        // Each key set once per request (policies may share an issuer), and the token's
        // signature checked once per set.
        let mut verified: HashMap<KeySource, Option<Claims>> = HashMap::new();
        for policy in policies {
            let Some(rules) = policy.rules() else {
                continue;
            };
            let source_key = (rules.issuer.clone(), rules.jwks_uri.clone());
            let claims = match verified.get(&source_key) {
                Some(claims) => claims.clone(),
                None => {
                    let claims = match self
                        .remote_keys
                        .keys(&rules.issuer, rules.jwks_uri.as_deref(), kid.as_deref())
                        .await
                    {
                        Ok(keys) => keys.verify_workload(token).ok(),
                        Err(e) => {
                            log::warn!(
                                client_id = client_id.as_str();
                                "trust policy {}: {}",
                                policy.id,
                                e.to_string().escape_debug()
                            );
                            unreachable |= matches!(*e, FetchError::Failed(..));
                            None
                        }
                    };
                    verified.insert(source_key, claims.clone());
                    claims
                }
            };
            if claims.is_some_and(|claims| rules.admits(&claims)) {
                attempt.succeeded();
                if creds.disabled {
                    return Err(AuthFailure::Refused("the client is disabled"));
                }
                return Ok(authenticated(creds));
            }
        }
        // A failure either way (counted by the limiter): an unreachable issuer is not a
        // reason to let a caller try without limit.
        if unreachable {
            return Err(AuthFailure::IssuerUnreachable);
        }
        Err(AuthFailure::Rejected)
    }

    fn upgrade_hash(&self, client_id: &ClientId, secret: &ClientSecret, old: &str) {
        let (pool, hasher) = (self.pool.clone(), self.hasher.clone());
        let (id, secret, old) = (
            client_id.as_str().to_owned(),
            secret.clone(),
            old.to_owned(),
        );
        tokio::spawn(async move {
            let upgraded = store::run(&pool, move |conn| {
                let new = hasher.hash(&secret);
                store::write_transaction(conn, |conn| {
                    let done = store::clients::upgrade_secret_hash(conn, &id, &old, &new)?;
                    if done {
                        store::changes::record_change(conn, &id)?;
                    }
                    Ok::<_, diesel::result::Error>(done)
                })
                .map_err(StoreError::Query)
            })
            .await;
            if let Err(e) = upgraded {
                log::warn!("could not re-hash a secret at the new cost (will retry later): {e}");
            }
        });
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

/// Whether `hash` is one the client's secret may match now: the current one, or the
/// previous one during its grace period.
fn accepts(creds: &ClientCredentials, hash: &str, now: chrono::NaiveDateTime) -> bool {
    hash == creds.secret_hash
        || creds
            .previous_secret
            .as_ref()
            .is_some_and(|(prev, until)| hash == prev && now < *until)
}

fn authenticated(creds: Arc<ClientCredentials>) -> AuthenticatedClient {
    AuthenticatedClient(creds)
}

/// A client whose credential matched, unless it is disabled, that secret has expired, or the
/// client uses another method (a key client's stored hash verifies nothing, but the method
/// decides, not the hash).
fn admitted(
    creds: Arc<ClientCredentials>,
    method: AuthMethod,
    now: chrono::NaiveDateTime,
) -> Result<AuthenticatedClient, AuthFailure> {
    if creds.auth_method != method {
        return Err(AuthFailure::Rejected);
    }
    match creds.refusal(now) {
        Some(reason) => Err(AuthFailure::Refused(reason)),
        None => Ok(authenticated(creds)),
    }
}
