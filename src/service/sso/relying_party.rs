//! This server as the relying party of an organization's IdP, with the `openidconnect`
//! crate: the authorization request (code flow, PKCE `S256`, `state`, `nonce`) and, at the
//! callback, the code exchange and the ID token's checks (signature, `iss`, `aud`, `nonce`,
//! `exp`; `auth_time` for a step-up). All of its HTTP goes through the guarded fetcher
//! (`RemoteKeys::send`: public `https` addresses or the operator's allowed hosts, pinned, no
//! redirect, 5 s, 64 KiB).
//!
//! The IdP's metadata (discovery and keys) is kept 5 minutes per issuer, a failed discovery
//! one minute (an unreachable or slow IdP costs one attempt a minute, not one per sign-in);
//! an ID token signed with a key the set lacks fetches the set again, at most every 30 s per
//! issuer (an IdP rotating its keys is picked up, made-up `kid`s are not a flood of
//! fetches). At most 4 IdP exchanges run at once, so sign-ins never hold every one of the
//! fetcher's 8 slots that federation's key fetches share.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClaimName, CoreClaimType,
    CoreClient, CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AsyncHttpClient, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IssuerUrl,
    JsonWebKeySet, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError,
    Scope, SignatureVerificationError, TokenResponse,
};

use crate::client_auth::remote_keys::{FetchError, RemoteKeys};

const METADATA_FRESH_FOR: Duration = Duration::from_secs(300);
const KEYS_REFETCH_AFTER: Duration = Duration::from_secs(30);
/// Discovery and its key set: two fetches of at most 5 s each.
const DISCOVERY_DEADLINE: Duration = Duration::from_secs(10);
const MAX_CACHED: usize = 1024;
const FAILURE_REMEMBERED: Duration = Duration::from_secs(60);
const MAX_CONCURRENT_EXCHANGES: usize = 4;

/// RFC 9207: whether the IdP adds `iss` to its authorization responses (a discovery field the
/// crate does not know).
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct Rfc9207 {
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: Option<bool>,
}

impl openidconnect::AdditionalProviderMetadata for Rfc9207 {}

type IdpMetadata = openidconnect::ProviderMetadata<
    Rfc9207,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type IdpClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The guarded fetcher as the crate's HTTP client.
struct IdpHttp<'a>(&'a RemoteKeys);

impl<'c, 'a: 'c> AsyncHttpClient<'c> for IdpHttp<'a> {
    type Error = FetchError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, FetchError>> + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.0.send(request))
    }
}

/// Why a sign-in through the IdP could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// Discovery, keys or the token endpoint could not be reached or made no sense.
    #[error("the IdP could not be reached: {0}")]
    Unavailable(String),
    /// The token endpoint refused the code (replayed, expired, another client's).
    #[error("the IdP refused the authorization code: {0}")]
    CodeRefused(String),
    /// The ID token failed a check.
    #[error("the ID token was not accepted: {0}")]
    IdToken(String),
}

/// Where to send the browser, and what the callback needs to finish (kept server-side).
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Who the IdP says signed in, after every check.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifiedIdentity {
    pub issuer: String,
    pub subject: String,
    /// Lower-case.
    pub email: Option<String>,
    /// `email_verified` was `true` (absent counts as not verified).
    pub email_verified: bool,
    pub name: Option<String>,
    pub auth_time: Option<DateTime<Utc>>,
}

struct Cached {
    metadata: IdpMetadata,
    fetched: Instant,
    keys_refetched: Option<Instant>,
}

/// The IdPs' metadata, shared by every sign-in of this instance.
pub struct SsoRelyingParty {
    cache: parking_lot::Mutex<HashMap<String, Cached>>,
    /// Discoveries that failed, and when.
    failures: parking_lot::Mutex<HashMap<String, (Instant, String)>>,
    exchanges: tokio::sync::Semaphore,
}

impl Default for SsoRelyingParty {
    fn default() -> Self {
        Self {
            cache: parking_lot::Mutex::default(),
            failures: parking_lot::Mutex::default(),
            exchanges: tokio::sync::Semaphore::new(MAX_CONCURRENT_EXCHANGES),
        }
    }
}

impl SsoRelyingParty {
    /// A slot for an exchange with an IdP (`Unavailable` when every slot stays taken for 5 s).
    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, SsoError> {
        tokio::time::timeout(Duration::from_secs(5), self.exchanges.acquire())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| SsoError::Unavailable("too many IdP exchanges under way".into()))
    }

    /// The IdP's metadata, from the cache or discovered now.
    async fn metadata(&self, remote: &RemoteKeys, issuer: &str) -> Result<IdpMetadata, SsoError> {
        if let Some(cached) = self.cache.lock().get(issuer)
            && cached.fetched.elapsed() < METADATA_FRESH_FOR
        {
            return Ok(cached.metadata.clone());
        }
        if let Some((at, why)) = self.failures.lock().get(issuer)
            && at.elapsed() < FAILURE_REMEMBERED
        {
            return Err(SsoError::Unavailable(why.clone()));
        }
        let _slot = self.slot().await?;
        let http = IdpHttp(remote);
        let discover = |url: String| {
            let http = &http;
            async move {
                let url = IssuerUrl::new(url).map_err(|e| SsoError::Unavailable(e.to_string()))?;
                IdpMetadata::discover_async(url, http)
                    .await
                    .map_err(|e| SsoError::Unavailable(error_chain(&e)))
            }
        };
        let found = tokio::time::timeout(DISCOVERY_DEADLINE, async {
            // The stored issuer has no trailing `/`; an IdP whose issuer has one (the ID
            // token's `iss` must then match it exactly) is found at the second try.
            match discover(issuer.to_owned()).await {
                Ok(found) => Ok(found),
                Err(first) => discover(format!("{issuer}/")).await.map_err(|_| first),
            }
        })
        .await
        .unwrap_or_else(|_| Err(SsoError::Unavailable("discovery timed out".into())));
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                let mut failures = self.failures.lock();
                if failures.len() >= MAX_CACHED {
                    failures.retain(|_, (at, _)| at.elapsed() < FAILURE_REMEMBERED);
                }
                if failures.len() < MAX_CACHED {
                    failures.insert(issuer.to_owned(), (Instant::now(), e.to_string()));
                }
                return Err(e);
            }
        };
        self.failures.lock().remove(issuer);
        let mut cache = self.cache.lock();
        if cache.len() >= MAX_CACHED {
            cache.retain(|_, c| c.fetched.elapsed() < METADATA_FRESH_FOR);
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
        }
        cache.insert(
            issuer.to_owned(),
            Cached {
                metadata: found.clone(),
                fetched: Instant::now(),
                keys_refetched: None,
            },
        );
        Ok(found)
    }

    /// Whether the IdP puts `iss` in its authorization responses (RFC 9207), so that a callback
    /// without it is refused.
    pub async fn sends_iss(&self, remote: &RemoteKeys, issuer: &str) -> Result<bool, SsoError> {
        let metadata = self.metadata(remote, issuer).await?;
        Ok(metadata
            .additional_metadata()
            .authorization_response_iss_parameter_supported
            == Some(true))
    }

    /// The authorization request for a sign-in (`step_up`: the IdP must sign the person in
    /// again: `prompt=login`, `max_age=0`).
    pub async fn authorize(
        &self,
        remote: &RemoteKeys,
        issuer: &str,
        client_id: &str,
        redirect_uri: &str,
        step_up: bool,
    ) -> Result<Authorization, SsoError> {
        let metadata = self.metadata(remote, issuer).await?;
        // The browser goes there: an https URL (plain http on loopback in development), never
        // a way to make this server redirect anywhere.
        crate::domain::trust_policy::fetchable_url(metadata.authorization_endpoint().as_str())
            .map_err(|e| SsoError::Unavailable(format!("authorization_endpoint {e}")))?;
        let client = idp_client(metadata, client_id, None, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                || CsrfToken::new_random_len(32),
                || Nonce::new(CsrfToken::new_random_len(32).secret().clone()),
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge);
        if step_up {
            request = request
                .add_prompt(CoreAuthPrompt::Login)
                .set_max_age(Duration::ZERO);
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code and checks the ID token. `signed_in_since`: a step-up's start; the
    /// token's `auth_time` must be at or after it.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish(
        &self,
        remote: &RemoteKeys,
        issuer: &str,
        client_id: &str,
        client_secret: String,
        redirect_uri: &str,
        code: String,
        nonce: &str,
        pkce_verifier: String,
        signed_in_since: Option<DateTime<Utc>>,
    ) -> Result<VerifiedIdentity, SsoError> {
        let metadata = self.metadata(remote, issuer).await?;
        let _slot = self.slot().await?;
        let client = idp_client(
            metadata.clone(),
            client_id,
            Some(client_secret.clone()),
            redirect_uri,
        )?;
        let http = IdpHttp(remote);
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| SsoError::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
            .request_async(&http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(answer) => {
                    SsoError::CodeRefused(answer.error().to_string())
                }
                other => SsoError::Unavailable(error_chain(&other)),
            })?;
        let id_token = token
            .id_token()
            .ok_or_else(|| SsoError::IdToken("the IdP answered without an ID token".into()))?
            .clone();
        let verify = |client: &IdpClient| -> Result<VerifiedIdentity, ClaimsVerificationError> {
            let mut verifier = client.id_token_verifier().set_allowed_algs([
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
                CoreJwsSigningAlgorithm::RsaSsaPssSha256,
                CoreJwsSigningAlgorithm::RsaSsaPssSha384,
                CoreJwsSigningAlgorithm::RsaSsaPssSha512,
                CoreJwsSigningAlgorithm::EcdsaP256Sha256,
                CoreJwsSigningAlgorithm::EcdsaP384Sha384,
                CoreJwsSigningAlgorithm::EdDsa,
            ]);
            if let Some(since) = signed_in_since {
                verifier = verifier.set_auth_time_verifier_fn(move |at| match at {
                    Some(at) if at >= since => Ok(()),
                    _ => Err("the IdP did not sign the person in again (auth_time)".into()),
                });
            }
            let claims = id_token.claims(&verifier, &Nonce::new(nonce.to_owned()))?;
            Ok(VerifiedIdentity {
                issuer: claims.issuer().as_str().to_owned(),
                subject: claims.subject().as_str().to_owned(),
                email: claims.email().map(|e| e.as_str().to_lowercase()),
                email_verified: claims.email_verified() == Some(true),
                name: claims
                    .name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_owned()),
                auth_time: claims.auth_time(),
            })
        };
        match verify(&client) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) if self.may_refetch_keys(issuer) => {
                let keys = tokio::time::timeout(
                    DISCOVERY_DEADLINE,
                    JsonWebKeySet::fetch_async(metadata.jwks_uri(), &http),
                )
                .await
                .map_err(|_| SsoError::Unavailable("the IdP's keys timed out".into()))?
                .map_err(|e| SsoError::Unavailable(error_chain(&e)))?;
                let metadata = metadata.set_jwks(keys);
                if let Some(cached) = self.cache.lock().get_mut(issuer) {
                    cached.metadata = metadata.clone();
                }
                let client = idp_client(metadata, client_id, Some(client_secret), redirect_uri)?;
                verify(&client).map_err(|e| SsoError::IdToken(error_chain(&e)))
            }
            found => found.map_err(|e| SsoError::IdToken(error_chain(&e))),
        }
    }

    /// Whether the issuer's keys may be fetched again now (at most every 30 s).
    fn may_refetch_keys(&self, issuer: &str) -> bool {
        let mut cache = self.cache.lock();
        let Some(cached) = cache.get_mut(issuer) else {
            return false;
        };
        if cached
            .keys_refetched
            .is_some_and(|at| at.elapsed() < KEYS_REFETCH_AFTER)
        {
            return false;
        }
        cached.keys_refetched = Some(Instant::now());
        true
    }
}

fn idp_client(
    metadata: IdpMetadata,
    client_id: &str,
    client_secret: Option<String>,
    redirect_uri: &str,
) -> Result<IdpClient, SsoError> {
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|e| SsoError::Unavailable(format!("redirect URI: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id.to_owned()),
        client_secret.map(ClientSecret::new),
    )
    .set_redirect_uri(redirect))
}

/// An error with its causes, for the log and the audit event (never a secret: the crate's
/// errors name URLs and claims, not credentials).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
