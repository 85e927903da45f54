use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use super::verified_tokens::{self, VerifiedTokens};
use super::{Expiry, KeySet};
use crate::domain::random_base62;

/// RFC 9068 access-token claims.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub client_id: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub scope: String,
    pub roles: Vec<String>,
    pub org_id: String,
    /// The token's place in a Token Status List (SPEC §11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TokenStatus>,
}

/// `{"status_list": {"idx": N, "uri": "…"}}`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenStatus {
    pub status_list: StatusListRef,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusListRef {
    pub idx: i64,
    pub uri: String,
}

#[derive(Serialize)]
struct StatusRef<'a> {
    status_list: StatusListRefBorrowed<'a>,
}

#[derive(Serialize)]
struct StatusListRefBorrowed<'a> {
    idx: i64,
    uri: &'a str,
}

/// Gives a token issued at `iat` and signed by the key `kid` its status list uri and index
/// (`None`: none in hand).
pub type Stamp<'a> = dyn Fn(i64, &str) -> Option<(Arc<str>, i64)> + 'a;

/// The same claims, borrowed, for the hot path.
#[derive(Serialize)]
struct ClaimsRef<'a> {
    iss: &'a str,
    sub: &'a str,
    client_id: &'a str,
    aud: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: &'a str,
    scope: &'a str,
    roles: &'a [String],
    org_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<StatusRef<'a>>,
}

pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: u64,
    /// The granted roles, space-separated, as in the token's `scope` claim.
    pub scope: String,
}

/// Signs access tokens with the key set's active key.
pub struct TokenIssuer {
    /// Swapped whole when the keys change (another instance rotated): readers take an `Arc`.
    keys: RwLock<Arc<KeySet>>,
    issuer: String,
    ttl: Duration,
    /// Tokens verified before (by their hash), so that each is verified once.
    verified: VerifiedTokens,
}

impl TokenIssuer {
    pub fn new(keys: Arc<KeySet>, issuer: String, ttl: Duration) -> Self {
        Self {
            keys: RwLock::new(keys),
            issuer,
            ttl,
            verified: VerifiedTokens::default(),
        }
    }

    pub fn keys(&self) -> Arc<KeySet> {
        self.keys.read().clone()
    }

    pub fn replace_keys(&self, keys: Arc<KeySet>) {
        *self.keys.write() = keys;
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// One of our access tokens, verified against our keys and issuer (`KeySet::verify`). A
    /// token within its lifetime has its signature checked once per key set
    /// (`verified_tokens`); its time window is checked on every call.
    pub fn verify(
        &self,
        token: &str,
        leeway_seconds: u64,
        expiry: Expiry,
    ) -> Option<AccessTokenClaims> {
        let keys = self.keys();
        if expiry == Expiry::Ignore {
            return keys.verify(token, &self.issuer, leeway_seconds, expiry);
        }
        let hash = verified_tokens::hash(token);
        let now = chrono::Utc::now().timestamp();
        if let Some(claims) = self.verified.get(&hash, &keys, now, leeway_seconds) {
            return Some(claims);
        }
        let claims = keys.verify(token, &self.issuer, leeway_seconds, expiry)?;
        self.verified.insert(hash, &keys, &claims);
        Some(claims)
    }

    pub fn issue(
        &self,
        client_id: &str,
        org_id: &str,
        audience: &str,
        roles: &[String],
    ) -> IssuedToken {
        self.issue_for(client_id, org_id, audience, roles, None, None)
            .expect("no status list to stamp")
    }

    /// `issue` with the client's own lifetime, never longer than the server's, stamped with
    /// the status list index `stamp` gives for the token's `iat` (SPEC §11). `None` when
    /// `stamp` had no index to give (the caller leases a range and asks again).
    pub fn issue_for(
        &self,
        client_id: &str,
        org_id: &str,
        audience: &str,
        roles: &[String],
        client_ttl: Option<Duration>,
        stamp: Option<&Stamp<'_>>,
    ) -> Option<IssuedToken> {
        let keys = self.keys();
        let at = chrono::Utc::now();
        let key = keys.active_at(at.naive_utc());
        let now = at.timestamp();
        let ttl = client_ttl.map_or(self.ttl, |t| t.min(self.ttl)).as_secs();
        let status = match stamp {
            Some(stamp) => Some(stamp(now, &key.kid)?),
            None => None,
        };
        let jti = random_base62(22);
        let scope = roles.join(" ");
        let claims = ClaimsRef {
            iss: &self.issuer,
            sub: client_id,
            client_id,
            aud: audience,
            iat: now,
            nbf: now,
            exp: now + ttl as i64,
            jti: &jti,
            scope: &scope,
            roles,
            org_id,
            status: status.as_ref().map(|(uri, idx)| StatusRef {
                status_list: StatusListRefBorrowed {
                    idx: *idx,
                    uri: uri.as_ref(),
                },
            }),
        };
        let payload = serde_json::to_vec(&claims).expect("claims serialize");
        let mut token = String::with_capacity(512);
        token.push_str(key.header_b64());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let signature = key.sign(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Some(IssuedToken {
            access_token: token,
            expires_in: ttl,
            scope,
        })
    }
}
