//! Verifies orgauth access tokens in a resource server, offline: the signature against the
//! issuer's JWKS (cached; fetched again for an unknown `kid`, at most every 30 s), the RFC
//! 9068 claims (`typ: at+jwt`, `iss`, `aud`, `exp`/`nbf` with leeway), required roles, and
//! the token's bit in its Token Status List (`draft-ietf-oauth-status-list`, cached no longer
//! than the list's `ttl`): a revoked token is refused within `ttl` + 1 s.
//!
//! A token whose list cannot be fetched is refused ([`VerifyError::StatusUnavailable`]) unless
//! the application chooses otherwise with [`Verifier::allow_when_status_unavailable`]; a list
//! that was fetched but does not verify is always refused ([`VerifyError::StatusInvalid`]).
//!
//! ```no_run
//! # async fn example() -> Result<(), orgauth_verifier::VerifyError> {
//! let verifier = orgauth_verifier::Verifier::new("https://auth.example.com", "https://api.example.com")
//!     .require_roles(["billing:read"]);
//! let claims = verifier.verify("eyJ…").await?;
//! println!("{} may read billing", claims.client_id);
//! # Ok(()) }
//! ```

#[cfg(feature = "actix")]
mod actix;

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

#[cfg(feature = "actix")]
pub use actix::VerifiedToken;

const JWKS_REFETCH_AFTER: Duration = Duration::from_secs(30);
/// After a failed fetch of the keys, the next attempt waits this long.
const JWKS_RETRY_AFTER: Duration = Duration::from_secs(5);
const JWKS_FRESH_FOR: Duration = Duration::from_secs(300);
const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BODY: usize = 1024 * 1024;

/// Why a token was refused: one variant per check, each with a message fit for a log.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is not a JWT: {0}")]
    Malformed(String),
    #[error("the token's type is not at+jwt")]
    WrongType,
    #[error("the token is signed with an algorithm this verifier does not accept")]
    WrongAlgorithm,
    #[error("the token is signed by a key the issuer does not publish ({0})")]
    UnknownKey(String),
    #[error("the token's signature or claims are not valid: {0}")]
    Invalid(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token is for another audience")]
    WrongAudience,
    #[error("the token is from another issuer")]
    WrongIssuer,
    #[error("the token lacks the role {0}")]
    MissingRole(String),
    #[error("the token carries no status list reference")]
    NoStatus,
    #[error("the token was revoked (its status list bit is set)")]
    Revoked,
    #[error("the token's status list could not be fetched: {0}")]
    StatusUnavailable(String),
    #[error("the token's status list is not valid: {0}")]
    StatusInvalid(String),
    #[error("the issuer's keys could not be fetched: {0}")]
    KeysUnavailable(String),
}

/// The claims of a verified access token.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub client_id: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub org_id: String,
    pub status: Option<Status>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    pub status_list: StatusListRef,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusListRef {
    pub idx: u64,
    pub uri: String,
}

#[derive(Deserialize)]
struct ListClaims {
    sub: String,
    exp: Option<i64>,
    ttl: Option<u64>,
    status_list: ListBits,
}

#[derive(Deserialize)]
struct ListBits {
    bits: u8,
    lst: String,
}

#[derive(Default)]
struct Keys {
    set: Option<JwkSet>,
    fetched: Option<Instant>,
    /// The last attempt, and whether it failed.
    attempted: Option<(Instant, bool)>,
}

struct CachedList {
    bits: Arc<Vec<u8>>,
    until: Instant,
}

/// A resource server's verifier for one issuer and audience. Cheap to share (`Arc` inside);
/// keep one for the process.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audience: String,
    roles: Vec<String>,
    leeway: u64,
    allow_unavailable_status: bool,
    http: reqwest::Client,
    keys: Mutex<Keys>,
    lists: Mutex<HashMap<String, CachedList>>,
}

impl Verifier {
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                issuer: issuer.into().trim_end_matches('/').to_owned(),
                audience: audience.into(),
                roles: Vec::new(),
                leeway: 30,
                allow_unavailable_status: false,
                http: reqwest::Client::builder()
                    .timeout(TIMEOUT)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("an HTTP client"),
                keys: Mutex::new(Keys::default()),
                lists: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn with(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
            issuer: shared.issuer.clone(),
            audience: shared.audience.clone(),
            roles: shared.roles.clone(),
            leeway: shared.leeway,
            allow_unavailable_status: shared.allow_unavailable_status,
            http: shared.http.clone(),
            keys: Mutex::new(Keys::default()),
            lists: Mutex::new(HashMap::new()),
        });
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Roles every token must carry.
    pub fn require_roles<I: IntoIterator<Item = S>, S: Into<String>>(self, roles: I) -> Self {
        let roles: Vec<String> = roles.into_iter().map(Into::into).collect();
        self.with(|i| i.roles = roles)
    }

    /// Clock skew allowed on `exp` and `nbf` (30 s by default).
    pub fn leeway(self, seconds: u64) -> Self {
        self.with(|i| i.leeway = seconds)
    }

    /// Accepts a token whose status list cannot be fetched (an explicit choice of
    /// availability over revocation); by default such a token is refused.
    pub fn allow_when_status_unavailable(self) -> Self {
        self.with(|i| i.allow_unavailable_status = true)
    }

    /// Verifies a bearer token: its claims, or why it was refused.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let inner = &self.inner;
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| VerifyError::Malformed(e.to_string()))?;
        let typ = header
            .typ
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if typ != "at+jwt" && typ != "application/at+jwt" {
            return Err(VerifyError::WrongType);
        }
        if !matches!(
            header.alg,
            Algorithm::ES256 | Algorithm::RS256 | Algorithm::EdDSA
        ) {
            return Err(VerifyError::WrongAlgorithm);
        }
        let kid = header.kid.clone().unwrap_or_default();
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = inner.leeway;
        validation.validate_nbf = true;
        validation.set_issuer(&[&inner.issuer]);
        validation.set_audience(&[&inner.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => VerifyError::Expired,
                jsonwebtoken::errors::ErrorKind::InvalidAudience => VerifyError::WrongAudience,
                jsonwebtoken::errors::ErrorKind::InvalidIssuer => VerifyError::WrongIssuer,
                _ => VerifyError::Invalid(e.to_string()),
            })?
            .claims;
        if let Some(missing) = inner.roles.iter().find(|r| !claims.roles.contains(r)) {
            return Err(VerifyError::MissingRole(missing.clone()));
        }
        let status = claims.status.as_ref().ok_or(VerifyError::NoStatus)?;
        match self.status_bit(&status.status_list).await {
            Ok(false) => Ok(claims),
            Ok(true) => Err(VerifyError::Revoked),
            Err(VerifyError::StatusUnavailable(_)) if inner.allow_unavailable_status => Ok(claims),
            Err(e) => Err(e),
        }
    }

    /// The key of `kid` from the cached JWKS, fetched again when unknown: at most every 30 s
    /// after a fetch that worked, every 5 s after one that failed.
    async fn key(&self, kid: &str) -> Result<DecodingKey, VerifyError> {
        let mut keys = self.inner.keys.lock().await;
        let fresh = keys.fetched.is_some_and(|at| at.elapsed() < JWKS_FRESH_FOR);
        if fresh && let Some(jwk) = keys.set.as_ref().and_then(|s| s.find(kid)) {
            return DecodingKey::from_jwk(jwk).map_err(|e| VerifyError::Invalid(e.to_string()));
        }
        let due = match keys.attempted {
            None => true,
            Some((at, true)) => at.elapsed() >= JWKS_RETRY_AFTER,
            Some((at, false)) => !fresh || at.elapsed() >= JWKS_REFETCH_AFTER,
        };
        if due {
            let url = format!("{}/.well-known/jwks.json", self.inner.issuer);
            let fetched = self.get(&url, "application/json").await.and_then(|body| {
                serde_json::from_slice::<JwkSet>(&body).map_err(|e| e.to_string())
            });
            match fetched {
                Ok(set) => {
                    keys.set = Some(set);
                    keys.fetched = Some(Instant::now());
                    keys.attempted = Some((Instant::now(), false));
                }
                Err(e) => {
                    keys.attempted = Some((Instant::now(), true));
                    return Err(VerifyError::KeysUnavailable(e));
                }
            }
        } else if !fresh {
            return Err(VerifyError::KeysUnavailable(
                "the issuer's keys could not be fetched lately".into(),
            ));
        }
        let jwk = keys
            .set
            .as_ref()
            .and_then(|s| s.find(kid))
            .ok_or_else(|| VerifyError::UnknownKey(kid.to_owned()))?;
        DecodingKey::from_jwk(jwk).map_err(|e| VerifyError::Invalid(e.to_string()))
    }

    async fn get(&self, url: &str, accept: &str) -> Result<Vec<u8>, String> {
        let mut res = self
            .inner
            .http
            .get(url)
            .header("accept", accept)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("{url} answered {}", res.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(format!("{url} is larger than 1 MiB"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Whether the token's bit is set, from a list cached at most its `ttl`.
    async fn status_bit(&self, reference: &StatusListRef) -> Result<bool, VerifyError> {
        // Only this issuer's lists: a token cannot send the verifier anywhere else.
        let own = format!("{}/statuslists/", self.inner.issuer);
        if !reference.uri.starts_with(&own) {
            return Err(VerifyError::StatusInvalid(format!(
                "{} is not the issuer's list",
                reference.uri
            )));
        }
        let cached = {
            let lists = self.inner.lists.lock().await;
            lists
                .get(&reference.uri)
                .filter(|l| Instant::now() < l.until)
                .map(|l| l.bits.clone())
        };
        let bits = match cached {
            Some(bits) => bits,
            None => {
                let (bits, keep) = self.fetch_list(&reference.uri).await?;
                let bits = Arc::new(bits);
                self.inner.lists.lock().await.insert(
                    reference.uri.clone(),
                    CachedList {
                        bits: bits.clone(),
                        until: Instant::now() + keep,
                    },
                );
                bits
            }
        };
        let invalid = |why: String| VerifyError::StatusInvalid(why);
        let idx = usize::try_from(reference.idx).map_err(|e| invalid(e.to_string()))?;
        let byte = bits
            .get(idx / 8)
            .ok_or_else(|| invalid(format!("index {idx} is outside the list")))?;
        Ok((byte >> (idx % 8)) & 1 == 1)
    }

    /// A list's bits and how long they may be kept (its `ttl`, and never past its `exp`).
    async fn fetch_list(&self, uri: &str) -> Result<(Vec<u8>, Duration), VerifyError> {
        let invalid = |why: String| VerifyError::StatusInvalid(why);
        let body = self
            .get(uri, "application/statuslist+jwt")
            .await
            .map_err(VerifyError::StatusUnavailable)?;
        let jwt = String::from_utf8(body).map_err(|e| invalid(e.to_string()))?;
        let header = jsonwebtoken::decode_header(&jwt).map_err(|e| invalid(e.to_string()))?;
        if header.typ.as_deref() != Some("statuslist+jwt") {
            return Err(invalid("the list's type is not statuslist+jwt".into()));
        }
        if !matches!(
            header.alg,
            Algorithm::ES256 | Algorithm::RS256 | Algorithm::EdDSA
        ) {
            return Err(invalid("the list's algorithm is not accepted".into()));
        }
        let key = match self.key(header.kid.as_deref().unwrap_or_default()).await {
            Ok(key) => key,
            Err(VerifyError::KeysUnavailable(e)) => return Err(VerifyError::StatusUnavailable(e)),
            Err(e) => return Err(invalid(e.to_string())),
        };
        let mut validation = Validation::new(header.alg);
        validation.validate_aud = false;
        validation.leeway = self.inner.leeway;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        let claims = jsonwebtoken::decode::<ListClaims>(&jwt, &key, &validation)
            .map_err(|e| invalid(format!("the list does not verify: {e}")))?
            .claims;
        let Some(exp) = claims.exp else {
            return Err(invalid("the list has no exp".into()));
        };
        if claims.sub != uri || claims.status_list.bits != 1 {
            return Err(invalid("the list is not the one the token names".into()));
        }
        let compressed = URL_SAFE_NO_PAD
            .decode(&claims.status_list.lst)
            .map_err(|e| invalid(e.to_string()))?;
        let mut bits = Vec::new();
        flate2::read::ZlibDecoder::new(&compressed[..])
            .take(MAX_BODY as u64 * 8)
            .read_to_end(&mut bits)
            .map_err(|e| invalid(e.to_string()))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let until_exp = u64::try_from(exp).unwrap_or(0).saturating_sub(now);
        let keep = claims.ttl.unwrap_or(0).min(300).min(until_exp);
        Ok((bits, Duration::from_secs(keep)))
    }
}
