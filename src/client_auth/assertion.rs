//! `private_key_jwt` (RFC 7523 §2.2): an assertion signed by one of the client's registered
//! keys, or by a key it publishes at its `jwks_uri`; each used once.

use std::net::IpAddr;

use super::remote_keys::FetchError;
use super::{AuthFailure, AuthenticatedClient, ClientAuthenticator, admitted};
use crate::domain::ClientId;
use crate::domain::client_keys::AssertionError;
use crate::store::clients::{Credential, Presented};
use crate::store::{self, StoreError};

impl ClientAuthenticator {
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
        let keys = match creds.as_deref().map(|c| (&c.org_id, &c.credential)) {
            Some((org, Credential::KeysAt(uri))) => {
                let kid = jsonwebtoken::decode_header(assertion)
                    .ok()
                    .and_then(|h| h.kid);
                let fetched = self
                    .remote_keys
                    .keys(org, uri, Some(uri), kid.as_deref())
                    .await;
                match fetched {
                    // Signed by a key the client has not published (yet, as far as this
                    // server has seen): not a credential failure (SPEC §4).
                    Ok(keys) if kid.as_deref().is_some_and(|kid| !keys.has_kid(kid)) => {
                        attempt.not_checked();
                        return Err(AuthFailure::Rejected);
                    }
                    Ok(keys) => keys,
                    Err(e) => {
                        log::warn!(
                            client_id = client_id.as_str();
                            "the client's jwks_uri: {}",
                            e.to_string().escape_debug()
                        );
                        return Err(match *e {
                            FetchError::Failed(..) => AuthFailure::IssuerUnreachable,
                            // This server's own fetch queue was full: not the caller's failure.
                            FetchError::Busy => {
                                attempt.not_checked();
                                AuthFailure::IssuerUnreachable
                            }
                            FetchError::NotAllowed(..) => AuthFailure::Rejected,
                        });
                    }
                }
            }
            Some((_, Credential::Keys(Some(keys)))) => keys.clone(),
            // No client, a secret client, or keys that no longer parse.
            _ => return Err(AuthFailure::Rejected),
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
        admitted(creds, Presented::Assertion, store::now())
    }
}
