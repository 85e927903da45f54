//! Workload identity federation: a token of an external issuer (a CI system, a cluster),
//! admitted by one of the client's trust policies.

use std::collections::HashMap;
use std::net::IpAddr;

use super::remote_keys::FetchError;
use super::{AuthFailure, AuthenticatedClient, ClientAuthenticator, admitted};
use crate::domain::ClientId;
use crate::store::clients::Presented;
use crate::store::{self, StoreError};

/// Where a trust policy's keys come from: its issuer, and its `jwks_uri` if it names one.
type KeySource = (String, Option<String>);
/// A verified token's claims.
type Claims = serde_json::Map<String, serde_json::Value>;

impl ClientAuthenticator {
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
        // A token whose kid the issuer's key sets (as just obtained) lack is signed by a key
        // this server has not fetched yet: not a credential failure. Only when some set was
        // obtained and none knows the kid; a token no policy could check is counted.
        let (mut kid_known, mut kid_unknown, mut busy) = (false, false, false);
        // Each key set once per request (policies may share an issuer), and the token's
        // signature checked once per set.
        let mut verified: HashMap<KeySource, Option<Claims>> = HashMap::new();
        for policy in policies {
            let Some(rules) = policy.rules() else {
                continue;
            };
            if let Err((field, e)) = rules.still_valid(&self.server_issuer) {
                log::warn!(
                    client_id = client_id.as_str();
                    "trust policy {} admits nothing: its {field} no longer passes the rules ({}); \
                     replace it",
                    policy.id,
                    e.0.escape_debug()
                );
                continue;
            }
            let source_key = (rules.issuer.clone(), rules.jwks_uri.clone());
            let claims = match verified.get(&source_key) {
                Some(claims) => claims.clone(),
                None => {
                    let claims = match self
                        .remote_keys
                        .keys(
                            &creds.org_id,
                            &rules.issuer,
                            rules.jwks_uri.as_deref(),
                            kid.as_deref(),
                        )
                        .await
                    {
                        Ok(keys) => {
                            match kid.as_deref() {
                                Some(kid) if keys.has_kid(kid) => kid_known = true,
                                Some(_) => kid_unknown = true,
                                None => {}
                            }
                            keys.verify_workload(token, chrono::Utc::now().timestamp())
                                .ok()
                        }
                        Err(e) => {
                            log::warn!(
                                client_id = client_id.as_str();
                                "trust policy {}: {}",
                                policy.id,
                                e.to_string().escape_debug()
                            );
                            unreachable |= matches!(*e, FetchError::Failed(..));
                            busy |= matches!(*e, FetchError::Busy);
                            None
                        }
                    };
                    verified.insert(source_key, claims.clone());
                    claims
                }
            };
            if claims.is_some_and(|claims| rules.admits(&claims)) {
                attempt.succeeded();
                return admitted(creds, Presented::WorkloadToken, store::now());
            }
        }
        // A failure either way (counted by the limiter): an unreachable issuer is not a
        // reason to let a caller try without limit.
        if unreachable {
            return Err(AuthFailure::IssuerUnreachable);
        }
        // This server's own fetch queue was full: the caller did nothing wrong.
        if busy {
            attempt.not_checked();
            return Err(AuthFailure::IssuerUnreachable);
        }
        if kid_unknown && !kid_known {
            attempt.not_checked();
        }
        Err(AuthFailure::Rejected)
    }
}
