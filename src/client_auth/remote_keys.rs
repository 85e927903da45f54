//! Key sets fetched from elsewhere: a workload issuer's, for federation (found through its
//! discovery document, or named by the trust policy).
//!
//! Fetching a URL a tenant chose is a server-side request forgery risk, so a fetch:
//! - goes to `https://` only, to an address that is not loopback, private, link-local,
//!   shared (CGNAT), multicast or unspecified — checked on the resolved addresses, and the
//!   connection pinned to the address that was checked (no second DNS answer);
//!   `ORGAUTH_ALLOW_LOOPBACK_ISSUERS=true` (tests, local development) allows `http://` on
//!   loopback only;
//! - follows no redirect, gives up after 5 s, and reads at most 64 KiB.
//!
//! A key set is kept 5 minutes; a token naming an unknown `kid` fetches it again, at most every
//! 30 s (an issuer rotating its keys is picked up, a flood of made-up kids is not a flood of
//! fetches). A failed fetch is remembered for a minute (an unreachable issuer costs one fetch
//! a minute, not one per request), a whole fetch (discovery and key set) has one 5 s deadline,
//! at most 8 run at once in the process, and no proxy from the environment is used (a proxy
//! would resolve the name again, past the address check).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::domain::ClientKeys;

const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BODY: usize = 64 * 1024;
const FRESH_FOR: Duration = Duration::from_secs(300);
const REFETCH_AFTER: Duration = Duration::from_secs(30);
/// The most keys kept from one remote set.
const MAX_REMOTE_KEYS: usize = 8;
/// The most key sets kept.
const MAX_CACHED: usize = 1024;
/// How long a failed fetch is remembered.
const FAILURE_REMEMBERED: Duration = Duration::from_secs(60);
/// Fetches running at once, in the process.
const MAX_CONCURRENT_FETCHES: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0} is not allowed: {1}")]
    NotAllowed(String, &'static str),
    #[error("could not fetch {0}: {1}")]
    Failed(String, String),
}

struct Cached {
    /// The keys, or why they could not be had.
    keys: Result<Arc<ClientKeys>, Arc<FetchError>>,
    fetched: Instant,
}

pub struct RemoteKeys {
    allow_loopback: bool,
    cache: parking_lot::Mutex<HashMap<String, Cached>>,
    fetches: tokio::sync::Semaphore,
}

impl RemoteKeys {
    pub fn new(allow_loopback: bool) -> Self {
        Self {
            allow_loopback,
            cache: parking_lot::Mutex::default(),
            fetches: tokio::sync::Semaphore::new(MAX_CONCURRENT_FETCHES),
        }
    }

    /// The keys of `issuer` (from `jwks_uri` when given, else from the issuer's discovery
    /// document), fetched again when `kid` is not among them and the set is 30 s old.
    pub async fn keys(
        &self,
        issuer: &str,
        jwks_uri: Option<&str>,
        kid: Option<&str>,
    ) -> Result<Arc<ClientKeys>, Arc<FetchError>> {
        let cache_key = format!("{issuer} {}", jwks_uri.unwrap_or(""));
        if let Some(cached) = self.cache.lock().get(&cache_key) {
            let age = cached.fetched.elapsed();
            match &cached.keys {
                Err(e) if age < FAILURE_REMEMBERED => return Err(e.clone()),
                Ok(keys) if age < FRESH_FOR => {
                    let knows_kid = kid.is_none_or(|kid| keys.has_kid(kid));
                    if knows_kid || age < REFETCH_AFTER {
                        return Ok(keys.clone());
                    }
                }
                _ => {}
            }
        }
        let fetched = match self.fetches.acquire().await {
            Ok(_permit) => tokio::time::timeout(TIMEOUT, self.fetch(issuer, jwks_uri))
                .await
                .unwrap_or_else(|_| Err(FetchError::Failed(issuer.to_owned(), "timed out".into()))),
            Err(_) => Err(FetchError::Failed(
                issuer.to_owned(),
                "shutting down".into(),
            )),
        };
        let keys = fetched.map(Arc::new).map_err(Arc::new);
        let mut cache = self.cache.lock();
        if cache.len() >= MAX_CACHED {
            cache.retain(|_, c| c.fetched.elapsed() < FRESH_FOR);
        }
        if cache.len() < MAX_CACHED {
            cache.insert(
                cache_key,
                Cached {
                    keys: keys.clone(),
                    fetched: Instant::now(),
                },
            );
        }
        keys
    }

    async fn fetch(&self, issuer: &str, jwks_uri: Option<&str>) -> Result<ClientKeys, FetchError> {
        let uri = match jwks_uri {
            Some(uri) => uri.to_owned(),
            None => self.discover_jwks_uri(issuer).await?,
        };
        let set = self.get_json(&uri).await?;
        ClientKeys::parse_remote(&set, MAX_REMOTE_KEYS)
            .map_err(|e| FetchError::Failed(uri.clone(), format!("the key set {e}")))
    }

    /// `jwks_uri` from the issuer's OpenID discovery document (OAuth metadata as a fallback).
    async fn discover_jwks_uri(&self, issuer: &str) -> Result<String, FetchError> {
        let mut last = None;
        for path in [
            "/.well-known/openid-configuration",
            "/.well-known/oauth-authorization-server",
        ] {
            match self.get_json(&format!("{issuer}{path}")).await {
                Ok(doc) => {
                    return doc
                        .get("jwks_uri")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            FetchError::Failed(
                                issuer.to_owned(),
                                "no jwks_uri in its discovery document".into(),
                            )
                        });
                }
                Err(e @ FetchError::NotAllowed(..)) => return Err(e),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            FetchError::Failed(issuer.to_owned(), "no discovery document".into())
        }))
    }

    /// A JSON document from `url`, under the rules in the module docs.
    async fn get_json(&self, url: &str) -> Result<Value, FetchError> {
        let failed = |why: String| FetchError::Failed(url.to_owned(), why);
        let parsed = reqwest::Url::parse(url).map_err(|e| failed(e.to_string()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| FetchError::NotAllowed(url.to_owned(), "no host"))?
            .to_owned();
        let port = parsed.port_or_known_default().unwrap_or(443);
        let lookup = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let addresses: Vec<SocketAddr> =
            tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((lookup.as_str(), port)))
                .await
                .map_err(|_| failed("DNS lookup timed out".into()))?
                .map_err(|e| failed(e.to_string()))?
                .collect();
        let address = *addresses
            .first()
            .ok_or_else(|| failed("no address".into()))?;
        let loopback = addresses.iter().all(|a| a.ip().is_loopback());
        match parsed.scheme() {
            "https" => {}
            "http" if self.allow_loopback && loopback => {}
            _ => {
                return Err(FetchError::NotAllowed(
                    url.to_owned(),
                    "only https:// URLs are fetched",
                ));
            }
        }
        for a in &addresses {
            let ip = a.ip();
            let allowed = is_public(ip) || (ip.is_loopback() && self.allow_loopback);
            if !allowed {
                return Err(FetchError::NotAllowed(
                    url.to_owned(),
                    "it resolves to a loopback, private or otherwise internal address",
                ));
            }
        }
        // Connect to the address just checked, never to another answer for the same name.
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .resolve(&lookup, address)
            .build()
            .map_err(|e| failed(e.to_string()))?;
        let mut response = client
            .get(parsed)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !response.status().is_success() {
            return Err(failed(format!("answered {}", response.status())));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(failed("larger than 64 KiB".into()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(failed("larger than 64 KiB".into()));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|_| failed("not JSON".into()))
    }
}

/// Whether `ip` is an address of the public internet (not loopback, private, link-local,
/// shared, documentation, multicast, broadcast or unspecified).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
                || (a == 192 && b == 88 && v4.octets()[2] == 99) // 6to4 relay anycast
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let segments = v6.segments();
            // NAT64 (64:ff9b::/96): the IPv4 address it reaches decides.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = segments[6].to_be_bytes();
                let [c, d] = segments[7].to_be_bytes();
                return is_public(IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d)));
            }
            // Global unicast only (2000::/3), without the ranges that tunnel or document.
            (segments[0] & 0xe000) == 0x2000
                && segments[0] != 0x2002 // 6to4
                && !(segments[0] == 0x2001 && segments[1] == 0) // Teredo
                && !(segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::",
        ] {
            assert!(!is_public(internal.parse().unwrap()), "{internal}");
        }
        for public in [
            "140.82.112.3",
            "8.8.8.8",
            "2606:4700::1111",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn internal_and_plain_http_urls_are_not_fetched() {
        let strict = RemoteKeys::new(false);
        for url in [
            "http://127.0.0.1:1/jwks",
            "https://127.0.0.1:1/jwks",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]:1/jwks",
            "https://10.0.0.1/jwks",
        ] {
            assert!(
                matches!(strict.get_json(url).await, Err(FetchError::NotAllowed(..))),
                "{url}"
            );
        }
        let local = RemoteKeys::new(true);
        assert!(
            matches!(
                local.get_json("http://10.0.0.1/jwks").await,
                Err(FetchError::NotAllowed(..))
            ),
            "loopback only"
        );
    }
}
