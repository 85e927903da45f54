//! Client authentication for the `/oauth/*` endpoints: is this the secret of this client?
//!
//! Design of the hot path:
//! - The client's row (hash, grace-period hash, org, roles) is read through the pool on the
//!   blocking thread pool, never on an actix worker.
//! - argon2id runs on the blocking pool too, at most `argon2_concurrency` at once (a
//!   semaphore), so a flood of wrong secrets cannot take every core or unbounded memory.
//! - A successful verification is remembered as `HMAC(process key, client_id ‖ secret)` →
//!   the stored hash it matched. A later request skips argon2 only if its MAC is known *and*
//!   that hash is still the client's current hash (or its unexpired grace-period hash). A
//!   rotation changes the stored hash and a deletion removes the row, so a cached entry can
//!   never let an old secret through; the HMAC key never leaves memory, so the cache holds
//!   nothing that could be replayed or brute-forced offline.
//! - An unknown client costs one argon2 verification against a dummy hash, so timing does not
//!   tell whether a client ID exists.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use tokio::sync::Semaphore;

use crate::domain::{ClientId, ClientSecret, NewClientSecret, SecretHash, SecretHasher};
use crate::store::clients::ClientCredentials;
use crate::store::{self, Pool, StoreError};

/// An authenticated client: what a token is made of.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub id: String,
    pub org_id: String,
    pub roles: Vec<String>,
}

pub struct ClientAuthenticator {
    pool: Pool,
    cache: VerifiedCache,
    argon2_permits: Arc<Semaphore>,
    dummy_hash: SecretHash,
}

impl ClientAuthenticator {
    pub fn new(pool: Pool, hasher: &SecretHasher, argon2_concurrency: usize) -> Self {
        Self {
            pool,
            cache: VerifiedCache::new(),
            argon2_permits: Arc::new(Semaphore::new(argon2_concurrency.max(1))),
            dummy_hash: hasher.hash(NewClientSecret::generate().secret()),
        }
    }

    /// `Ok(None)` for an unknown client or a wrong secret, indistinguishably.
    pub async fn authenticate(
        &self,
        client_id: &ClientId,
        secret: &ClientSecret,
    ) -> Result<Option<AuthenticatedClient>, StoreError> {
        let pool = self.pool.clone();
        let id = client_id.as_str().to_owned();
        let creds = blocking(move || {
            let mut conn = pool.get()?;
            Ok(store::clients::find_credentials(&mut conn, &id)?)
        })
        .await?;

        let Some(creds) = creds else {
            self.verify_argon2(self.dummy_hash.clone(), secret.clone())
                .await;
            return Ok(None);
        };

        let now = store::now();
        let accepted = |hash: &str| {
            hash == creds.secret_hash
                || creds
                    .previous_secret
                    .as_ref()
                    .is_some_and(|(prev, until)| hash == prev && now < *until)
        };

        let mac = self.cache.mac(client_id, secret);
        if self
            .cache
            .get(client_id, &mac)
            .is_some_and(|h| accepted(&h))
        {
            return Ok(Some(authenticated(creds)));
        }

        let mut candidates = vec![creds.secret_hash.clone()];
        if let Some((prev, until)) = &creds.previous_secret
            && now < *until
        {
            candidates.push(prev.clone());
        }
        for hash in candidates {
            if self
                .verify_argon2(SecretHash::from_stored(hash.clone()), secret.clone())
                .await
            {
                self.cache.insert(client_id, mac, hash, accepted);
                return Ok(Some(authenticated(creds)));
            }
        }
        Ok(None)
    }

    async fn verify_argon2(&self, hash: SecretHash, secret: ClientSecret) -> bool {
        let Ok(_permit) = self.argon2_permits.acquire().await else {
            return false;
        };
        tokio::task::spawn_blocking(move || hash.verify(&secret))
            .await
            .unwrap_or(false)
    }

    /// Forgets every cached verification of `client_id` (after a rotation or a deletion).
    pub fn forget(&self, client_id: &str) {
        self.cache.remove(client_id);
    }
}

fn authenticated(creds: ClientCredentials) -> AuthenticatedClient {
    AuthenticatedClient {
        id: creds.id,
        org_id: creds.org_id,
        roles: creds.roles,
    }
}

/// Runs blocking store work off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Unavailable(format!("store task failed: {e}")))?
}

type Mac = [u8; 32];

/// client_id → verified (MAC of the presented secret, stored hash it matched); at most a few
/// entries per client (current secret, grace-period secret).
struct VerifiedCache {
    key: hmac::Key,
    entries: RwLock<HashMap<String, Vec<(Mac, String)>>>,
}

/// Bound on cached clients; past it the cache starts over (the cost is one argon2 per client).
const MAX_CACHED_CLIENTS: usize = 100_000;

impl VerifiedCache {
    fn new() -> Self {
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &SystemRandom::new())
            .expect("the OS random generator is available");
        Self {
            key,
            entries: RwLock::new(HashMap::new()),
        }
    }

    fn mac(&self, client_id: &ClientId, secret: &ClientSecret) -> Mac {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(client_id.as_str().as_bytes());
        ctx.update(&[0]);
        ctx.update(secret.expose().as_bytes());
        let mut mac = [0; 32];
        mac.copy_from_slice(ctx.sign().as_ref());
        mac
    }

    fn get(&self, client_id: &ClientId, mac: &Mac) -> Option<String> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(client_id.as_str())?
            .iter()
            .find(|(m, _)| m == mac)
            .map(|(_, hash)| hash.clone())
    }

    fn insert(
        &self,
        client_id: &ClientId,
        mac: Mac,
        hash: String,
        still_accepted: impl Fn(&str) -> bool,
    ) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_CACHED_CLIENTS && !entries.contains_key(client_id.as_str()) {
            entries.clear();
        }
        let list = entries.entry(client_id.as_str().to_owned()).or_default();
        list.retain(|(m, h)| *m != mac && still_accepted(h));
        list.push((mac, hash));
    }

    fn remove(&self, client_id: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.remove(client_id);
    }
}
