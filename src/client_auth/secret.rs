//! `client_secret_basic` / `client_secret_post`: the argon2 path behind the verified-secret
//! cache, single flight and the failure limiter (see the module docs of `client_auth`).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::{AuthFailure, AuthenticatedClient, ClientAuthenticator, admitted, verified_secrets};
use crate::domain::{ClientId, ClientSecret, SecretHash};
use crate::metrics::METRICS;
use crate::store::clients::{ClientCredentials, Credential, Presented};
use crate::store::{self, StoreError};

/// What one verification concluded, shared by every request of its flight.
#[derive(Clone)]
pub(super) enum Outcome {
    Verified(Arc<ClientCredentials>),
    Rejected,
    RateLimited(Duration),
    Overloaded,
}

pub(super) type Flight = Arc<tokio::sync::OnceCell<Outcome>>;

impl ClientAuthenticator {
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
                .is_some_and(|hash| creds.accepts_hash(&hash, now))
        });
        if cached && let Some(creds) = creds {
            METRICS
                .secret_verifications
                .with_label_values(&["cache"])
                .inc();
            return admitted(creds, Presented::Secret, now);
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
            Outcome::Verified(creds) => admitted(creds, Presented::Secret, now),
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
        // A client without a secret (keys) costs the same two verifications as an unknown one,
        // and is rejected whatever was presented: its method decides, not a stored hash.
        let secret_of = creds.as_ref().and_then(|creds| match &creds.credential {
            Credential::Secret { hash, previous, .. } => Some((
                hash.as_str(),
                previous
                    .as_ref()
                    .filter(|(_, until)| now < *until)
                    .map(|(prev, _)| prev.as_str()),
            )),
            _ => None,
        });
        let (Some(creds), Some((current, grace))) = (creds.as_ref(), secret_of) else {
            verify(dummy).await;
            verify(dummy).await;
            return Outcome::Rejected;
        };
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
        let creds = creds.clone();
        self.cache
            .insert(client_id, mac, hash, |h| creds.accepts_hash(h, now));
        Outcome::Verified(creds)
    }

    /// Re-hashes a verified secret at the configured cost, in the background: existing
    /// installs move to a new cost as their clients next authenticate. The change is recorded
    /// so every instance reloads the record (and verifies once more, at the new cost).
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
}
