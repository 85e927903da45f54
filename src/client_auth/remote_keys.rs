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

use openidconnect::http;
use serde_json::Value;

use crate::domain::ClientKeys;

const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BODY: usize = 64 * 1024;
const FRESH_FOR: Duration = Duration::from_secs(300);
const REFETCH_AFTER: Duration = Duration::from_secs(30);
/// The most keys kept from one remote set.
const MAX_REMOTE_KEYS: usize = 8;
/// The most key sets kept, and the most one organization's requests may bring in.
const MAX_CACHED: usize = 1024;
const MAX_CACHED_PER_ORG: usize = 64;
/// How long a failed fetch is remembered.
const FAILURE_REMEMBERED: Duration = Duration::from_secs(60);
/// Fetches running at once, in the process, and for one organization.
const MAX_CONCURRENT_FETCHES: usize = 8;
const MAX_FETCHES_PER_ORG: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0} is not allowed: {1}")]
    NotAllowed(String, &'static str),
    #[error("could not fetch {0}: {1}")]
    Failed(String, String),
    /// The organization has as many fetches in flight as it may: not remembered (the issuer
    /// did nothing wrong), answered like an unreachable issuer.
    #[error("too many key fetches in flight for this organization")]
    Busy,
}

/// What a key set lookup found.
type Fetched = Result<Arc<ClientKeys>, Arc<FetchError>>;
type Flight = Arc<tokio::sync::OnceCell<Fetched>>;

struct Cached {
    /// The keys, or why they could not be had.
    keys: Fetched,
    fetched: Instant,
    /// Last looked up: the least recently used entry goes first when the cache is full.
    used: Instant,
    /// The organization whose request brought it in (each may hold `MAX_CACHED_PER_ORG`).
    org: String,
    /// When a fetch made for an unknown `kid` did not find it either: the next such fetch
    /// waits `REFETCH_AFTER` (a flood of made-up kids is not a flood of fetches).
    kid_missed: Option<Instant>,
}

impl Cached {
    fn expired(&self) -> bool {
        let age = self.fetched.elapsed();
        match self.keys {
            Ok(_) => age >= FRESH_FOR,
            Err(_) => age >= FAILURE_REMEMBERED,
        }
    }
}

enum Lookup {
    Hit(Fetched),
    /// The set is fresh but lacks the token's `kid`, and may be fetched again for it.
    UnknownKid,
    Miss,
}

/// Where remote keys may come from: what the operator allows beyond public `https` on 443.
#[derive(Clone, Debug, Default)]
pub struct RemotePolicy {
    /// `http://` on loopback (tests, local development: `ORGAUTH_ALLOW_LOOPBACK_ISSUERS`).
    pub allow_loopback: bool,
    /// `host` or `host:port` entries fetched on any port and at any address
    /// (`ORGAUTH_ALLOWED_ISSUER_HOSTS`: IdPs and issuers on a private network).
    pub allowed_hosts: Vec<String>,
}

impl RemotePolicy {
    /// Whether `host` (without brackets) on `port` is listed: `host` alone means port 443,
    /// `host:port` that port; IPv6 addresses in brackets (`[fd00::1]:8443`) or bare.
    fn allows_host(&self, host: &str, port: u16) -> bool {
        self.allowed_hosts
            .iter()
            .filter_map(|entry| split_host_port(entry))
            .any(|(h, p)| h.eq_ignore_ascii_case(host) && p == port)
    }

    /// Whether a host is loopback by its very name, for the checks made before resolving it.
    fn literal_loopback(host: &str) -> bool {
        host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address: the host without brackets
/// and the port (443 when none is named).
pub fn split_host_port(entry: &str) -> Option<(&str, u16)> {
    if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, port.parse().ok()?)),
            None if after.is_empty() => Some((host, 443)),
            None => None,
        };
    }
    if entry.matches(':').count() > 1 {
        return entry
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|_| (entry, 443));
    }
    match entry.split_once(':') {
        Some((host, port)) => Some((host, port.parse().ok()?)),
        None => Some((entry, 443)),
    }
}

pub struct RemoteKeys {
    policy: RemotePolicy,
    cache: parking_lot::Mutex<HashMap<String, Cached>>,
    /// One fetch per key set at a time; everyone else asking for it waits for that one.
    in_flight: parking_lot::Mutex<HashMap<String, Flight>>,
    /// Fetches in flight by organization.
    per_org: parking_lot::Mutex<HashMap<String, usize>>,
    fetches: tokio::sync::Semaphore,
}

/// An organization's place among the fetches in flight, given back on drop.
struct OrgSlot<'a> {
    keys: &'a RemoteKeys,
    org: String,
}

impl Drop for OrgSlot<'_> {
    fn drop(&mut self) {
        let mut per_org = self.keys.per_org.lock();
        if let Some(n) = per_org.get_mut(&self.org) {
            *n -= 1;
            if *n == 0 {
                per_org.remove(&self.org);
            }
        }
    }
}

impl RemoteKeys {
    pub fn new(policy: RemotePolicy) -> Self {
        Self {
            policy,
            cache: parking_lot::Mutex::default(),
            in_flight: parking_lot::Mutex::default(),
            per_org: parking_lot::Mutex::default(),
            fetches: tokio::sync::Semaphore::new(MAX_CONCURRENT_FETCHES),
        }
    }

    /// The keys of `issuer` (from `jwks_uri` when given, else from the issuer's discovery
    /// document), for a request of `org`. A set that lacks `kid` is fetched again at once, once
    /// (single flight); only when that fetch did not find it either do further fetches for an
    /// unknown kid wait 30 s.
    pub async fn keys(
        &self,
        org: &str,
        issuer: &str,
        jwks_uri: Option<&str>,
        kid: Option<&str>,
    ) -> Fetched {
        let cache_key = format!("{issuer} {}", jwks_uri.unwrap_or(""));
        match self.cached(&cache_key, kid) {
            Lookup::Hit(found) => return found,
            Lookup::UnknownKid | Lookup::Miss => {}
        }
        // Join the fetch under way, or start one if the organization has a fetch slot free; a
        // refusal for a full organization is its own, never shared with others' requests.
        let (flight, slot) = {
            let mut in_flight = self.in_flight.lock();
            match in_flight.get(&cache_key) {
                Some(flight) => (flight.clone(), None),
                None => {
                    let Some(slot) = self.org_slot(org) else {
                        return Err(Arc::new(FetchError::Busy));
                    };
                    let flight = Flight::default();
                    in_flight.insert(cache_key.clone(), flight.clone());
                    (flight, Some(slot))
                }
            }
        };
        let found = flight
            .get_or_init(|| self.fetch_once(org, &cache_key, issuer, jwks_uri, kid))
            .await
            .clone();
        drop(slot);
        let mut in_flight = self.in_flight.lock();
        if in_flight
            .get(&cache_key)
            .is_some_and(|f| Arc::ptr_eq(f, &flight))
        {
            in_flight.remove(&cache_key);
        }
        found
    }

    fn cached(&self, cache_key: &str, kid: Option<&str>) -> Lookup {
        let mut cache = self.cache.lock();
        let Some(cached) = cache.get_mut(cache_key) else {
            return Lookup::Miss;
        };
        if cached.expired() {
            return Lookup::Miss;
        }
        cached.used = Instant::now();
        match &cached.keys {
            Ok(keys) if kid.is_some_and(|kid| !keys.has_kid(kid)) => {
                if cached
                    .kid_missed
                    .is_some_and(|at| at.elapsed() < REFETCH_AFTER)
                {
                    Lookup::Hit(Ok(keys.clone()))
                } else {
                    Lookup::UnknownKid
                }
            }
            found => Lookup::Hit(found.clone()),
        }
    }

    /// One fetch of a key set, within one deadline that includes the wait for a permit.
    async fn fetch_once(
        &self,
        org: &str,
        cache_key: &str,
        issuer: &str,
        jwks_uri: Option<&str>,
        kid: Option<&str>,
    ) -> Fetched {
        // Another flight may have filled the cache since this one was looked up.
        if let Lookup::Hit(found) = self.cached(cache_key, kid) {
            return found;
        }
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        // Waiting for a permit is this server's queue, not the issuer's fault: never
        // remembered as the issuer's failure.
        let Ok(Ok(_permit)) = tokio::time::timeout_at(deadline, self.fetches.acquire()).await
        else {
            return Err(Arc::new(FetchError::Busy));
        };
        let fetched = tokio::time::timeout_at(deadline, self.fetch(issuer, jwks_uri))
            .await
            .unwrap_or_else(|_| Err(FetchError::Failed(issuer.to_owned(), "timed out".into())));
        let keys: Fetched = fetched.map(Arc::new).map_err(Arc::new);
        let kid_missed = match (&keys, kid) {
            (Ok(keys), Some(kid)) if !keys.has_kid(kid) => Some(Instant::now()),
            _ => None,
        };
        self.store(org, cache_key, keys.clone(), kid_missed);
        keys
    }

    fn org_slot(&self, org: &str) -> Option<OrgSlot<'_>> {
        let mut per_org = self.per_org.lock();
        let n = per_org.entry(org.to_owned()).or_default();
        if *n >= MAX_FETCHES_PER_ORG {
            return None;
        }
        *n += 1;
        Some(OrgSlot {
            keys: self,
            org: org.to_owned(),
        })
    }

    /// Keeps a fetched set (or its failure). When the organization holds its share of the
    /// cache, its own least recently used entry makes room; when the cache is full, the least
    /// recently used key set of anyone (failures are kept longest: forgetting one would let
    /// the unreachable issuer be fetched again at once).
    fn store(&self, org: &str, cache_key: &str, keys: Fetched, kid_missed: Option<Instant>) {
        let mut cache = self.cache.lock();
        // A failed refetch (an unknown kid's, or one anyone can trigger) does not throw away a
        // set that is still fresh: it is kept, and the kid cooldown starts.
        if keys.is_err()
            && let Some(old) = cache.get_mut(cache_key)
            && old.keys.is_ok()
            && !old.expired()
        {
            old.kid_missed = Some(Instant::now());
            return;
        }
        cache.remove(cache_key);
        cache.retain(|_, c| !c.expired());
        let least_used = |cache: &HashMap<String, Cached>, pick: &dyn Fn(&Cached) -> bool| {
            cache
                .iter()
                .filter(|(_, c)| pick(c))
                .min_by_key(|(_, c)| c.used)
                .map(|(k, _)| k.clone())
        };
        let own = cache.values().filter(|c| c.org == org).count();
        let evict = if own >= MAX_CACHED_PER_ORG {
            least_used(&cache, &|c| c.org == org)
        } else if cache.len() >= MAX_CACHED {
            least_used(&cache, &|c| c.keys.is_ok()).or_else(|| least_used(&cache, &|_| true))
        } else {
            None
        };
        if let Some(key) = evict {
            cache.remove(&key);
        }
        let now = Instant::now();
        cache.insert(
            cache_key.to_owned(),
            Cached {
                keys,
                fetched: now,
                used: now,
                org: org.to_owned(),
                kid_missed,
            },
        );
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
                Ok(doc) => return jwks_uri_of(&doc, issuer),
                Err(e @ FetchError::NotAllowed(..)) => return Err(e),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            FetchError::Failed(issuer.to_owned(), "no discovery document".into())
        }))
    }

    /// An OpenID Provider's metadata (an SSO connection's IdP), under the rules of every fetch:
    /// the document names this very issuer, and its authorization, token and key endpoints
    /// are `https://` URLs (`http://` on loopback in tests).
    pub async fn provider_metadata(&self, issuer: &str) -> Result<Value, FetchError> {
        let issuer = issuer.trim_end_matches('/');
        let doc = self
            .get_json(&format!("{issuer}/.well-known/openid-configuration"))
            .await?;
        jwks_uri_of(&doc, issuer)?;
        for field in ["authorization_endpoint", "token_endpoint"] {
            let url = doc.get(field).and_then(Value::as_str).ok_or_else(|| {
                FetchError::Failed(
                    issuer.to_owned(),
                    format!("no {field} in its discovery document"),
                )
            })?;
            crate::domain::trust_policy::fetchable_url(url).map_err(|_| {
                FetchError::Failed(
                    issuer.to_owned(),
                    format!("its discovery document's {field} is not an https URL"),
                )
            })?;
        }
        Ok(doc)
    }

    /// Whether `url` may be registered as an issuer or `jwks_uri`: the rules of a fetch (its
    /// scheme, port and resolved addresses), without fetching it. A name that does not
    /// resolve now is not refused (it is checked again at every fetch).
    pub async fn check_registrable(&self, url: &str) -> Result<(), FetchError> {
        // Scheme and port first: a name that does not resolve is no way past them.
        let not_allowed = |why| FetchError::NotAllowed(url.to_owned(), why);
        let parsed = reqwest::Url::parse(url).map_err(|_| not_allowed("not an absolute URL"))?;
        let host = parsed.host_str().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = parsed.port_or_known_default().unwrap_or(443);
        let local = self.policy.allow_loopback && RemotePolicy::literal_loopback(host);
        match parsed.scheme() {
            "https" => {}
            "http" if local => {}
            _ => return Err(not_allowed("only https:// URLs are fetched")),
        }
        if port != 443 && !local && !self.policy.allows_host(host, port) {
            return Err(not_allowed(
                "only port 443 (list the host in ORGAUTH_ALLOWED_ISSUER_HOSTS for another)",
            ));
        }
        match self.checked_address(url).await {
            Ok(_) | Err(FetchError::Failed(..)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The address to connect to for `url`, after the checks in the module docs.
    async fn checked_address(
        &self,
        url: &str,
    ) -> Result<(reqwest::Url, String, SocketAddr), FetchError> {
        let failed = |why: String| FetchError::Failed(url.to_owned(), why);
        let not_allowed = |why| FetchError::NotAllowed(url.to_owned(), why);
        let parsed = reqwest::Url::parse(url).map_err(|e| failed(e.to_string()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| not_allowed("no host"))?
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
        let local = self.policy.allow_loopback && loopback;
        let operator_allowed = self.policy.allows_host(&lookup, port);
        match parsed.scheme() {
            "https" => {}
            "http" if local => {}
            _ => return Err(not_allowed("only https:// URLs are fetched")),
        }
        if port != 443 && !local && !operator_allowed {
            return Err(not_allowed(
                "only port 443 (list the host in ORGAUTH_ALLOWED_ISSUER_HOSTS for another)",
            ));
        }
        for a in &addresses {
            let ip = a.ip();
            let allowed = is_public(ip) || (ip.is_loopback() && local) || operator_allowed;
            if !allowed {
                return Err(not_allowed(
                    "it resolves to a loopback, private or otherwise internal address",
                ));
            }
        }
        Ok((parsed, lookup, address))
    }

    /// One HTTP exchange with an IdP (an SSO connection's discovery, keys and token
    /// endpoint), under the rules of every fetch: checked and pinned address, no redirect, no
    /// proxy, 5 s, 64 KiB. Any status is answered (the caller reads OAuth errors), with the
    /// body and its `Content-Type`; at most 8 run at once in the process.
    pub async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, FetchError> {
        counted(self.send_uncounted(request)).await
    }

    async fn send_uncounted(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, FetchError> {
        let url = request.uri().to_string();
        let failed = |why: String| FetchError::Failed(url.clone(), why);
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        let Ok(Ok(_permit)) = tokio::time::timeout_at(deadline, self.fetches.acquire()).await
        else {
            return Err(FetchError::Busy);
        };
        let exchange = async {
            let (_, lookup, address) = self.checked_address(&url).await?;
            let client = pinned_client(&lookup, address).map_err(failed)?;
            let request = reqwest::Request::try_from(request).map_err(|e| failed(e.to_string()))?;
            let mut response = client
                .execute(request)
                .await
                .map_err(|e| failed(e.to_string()))?;
            let mut answer = http::Response::builder().status(response.status());
            if let Some(content_type) = response.headers().get(http::header::CONTENT_TYPE) {
                answer = answer.header(http::header::CONTENT_TYPE, content_type);
            }
            let body = read_capped(&mut response).await.map_err(failed)?;
            answer.body(body).map_err(|e| failed(e.to_string()))
        };
        tokio::time::timeout_at(deadline, exchange)
            .await
            .unwrap_or_else(|_| Err(failed("timed out".into())))
    }

    /// A JSON document from `url`, under the rules in the module docs.
    async fn get_json(&self, url: &str) -> Result<Value, FetchError> {
        counted(self.get_json_uncounted(url)).await
    }

    async fn get_json_uncounted(&self, url: &str) -> Result<Value, FetchError> {
        let failed = |why: String| FetchError::Failed(url.to_owned(), why);
        let (parsed, lookup, address) = self.checked_address(url).await?;
        // Connect to the address just checked, never to another answer for the same name.
        let client = pinned_client(&lookup, address).map_err(failed)?;
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
        let body = read_capped(&mut response).await.map_err(failed)?;
        serde_json::from_slice(&body).map_err(|_| failed("not JSON".into()))
    }
}

/// Runs a fetch, counting its outcome and duration.
async fn counted<T>(
    fetch: impl std::future::Future<Output = Result<T, FetchError>>,
) -> Result<T, FetchError> {
    let started = std::time::Instant::now();
    let result = fetch.await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(FetchError::Failed(..)) => "failed",
        Err(FetchError::NotAllowed(..)) => "refused",
        Err(FetchError::Busy) => "busy",
    };
    crate::metrics::METRICS
        .remote_fetches
        .with_label_values(&[outcome])
        .inc();
    crate::metrics::METRICS
        .remote_fetch_duration
        .observe(started.elapsed().as_secs_f64());
    result
}

/// A client that connects to `address` for `host` only (the address just checked, never
/// another answer for the same name), with no proxy, no redirect and the 5 s limit.
fn pinned_client(host: &str, address: SocketAddr) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .resolve(host, address)
        .build()
        .map_err(|e| e.to_string())
}

/// A response's body, at most 64 KiB.
async fn read_capped(response: &mut reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err("larger than 64 KiB".into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The `jwks_uri` of an issuer's discovery document, which must name that very issuer
/// (OpenID Connect Discovery §4.3: a document served for one issuer cannot point at another's
/// keys) and hold a URL fetched under the same rules.
fn jwks_uri_of(doc: &Value, issuer: &str) -> Result<String, FetchError> {
    let failed = |why: &str| FetchError::Failed(issuer.to_owned(), why.to_owned());
    let named = doc.get("issuer").and_then(Value::as_str);
    if named.map(|n| n.trim_end_matches('/')) != Some(issuer.trim_end_matches('/')) {
        return Err(failed("its discovery document names another issuer"));
    }
    let uri = doc
        .get("jwks_uri")
        .and_then(Value::as_str)
        .ok_or_else(|| failed("no jwks_uri in its discovery document"))?;
    crate::domain::trust_policy::fetchable_url(uri)
        .map_err(|_| failed("its discovery document's jwks_uri is not a fetchable https URL"))
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
        let strict = RemoteKeys::new(RemotePolicy::default());
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
        let local = RemoteKeys::new(RemotePolicy {
            allow_loopback: true,
            allowed_hosts: Vec::new(),
        });
        assert!(
            matches!(
                local.get_json("http://10.0.0.1/jwks").await,
                Err(FetchError::NotAllowed(..))
            ),
            "loopback only"
        );
    }

    fn failure() -> Fetched {
        Err(Arc::new(FetchError::Failed("x".into(), "down".into())))
    }

    fn keyset() -> Fetched {
        let jwk = serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]});
        Ok(Arc::new(ClientKeys::parse_remote(&jwk, 8).unwrap()))
    }

    #[test]
    fn one_organization_cannot_flush_the_key_sets_of_others() {
        let remote = RemoteKeys::new(RemotePolicy::default());
        remote.store("victim", "https://victim.example ", keyset(), None);
        remote.store("victim", "https://down.example ", failure(), None);
        for i in 0..(MAX_CACHED + 10) {
            remote.store("flooder", &format!("https://f{i}.example "), keyset(), None);
        }
        let cache = remote.cache.lock();
        assert_eq!(
            cache.values().filter(|c| c.org == "flooder").count(),
            MAX_CACHED_PER_ORG,
            "an organization's requests keep at most its share"
        );
        assert!(cache.contains_key("https://victim.example "));
        assert!(
            cache.contains_key("https://down.example "),
            "the victim's remembered failure is kept"
        );
    }

    #[test]
    fn a_full_cache_evicts_the_least_recently_used_key_set_before_any_failure() {
        let remote = RemoteKeys::new(RemotePolicy::default());
        remote.store("unreachable", "failed ", failure(), None);
        let orgs = MAX_CACHED / MAX_CACHED_PER_ORG;
        for org in 0..orgs {
            for i in 0..MAX_CACHED_PER_ORG {
                if remote.cache.lock().len() < MAX_CACHED {
                    remote.store(&format!("org{org}"), &format!("{org}-{i} "), keyset(), None);
                }
            }
        }
        assert_eq!(remote.cache.lock().len(), MAX_CACHED);
        remote.store("late", "late ", keyset(), None);
        let cache = remote.cache.lock();
        assert_eq!(cache.len(), MAX_CACHED);
        assert!(cache.contains_key("late ") && cache.contains_key("failed "));
    }

    #[test]
    fn allowed_hosts_name_a_port_or_mean_443() {
        assert_eq!(split_host_port("idp.corp"), Some(("idp.corp", 443)));
        assert_eq!(split_host_port("idp.corp:8443"), Some(("idp.corp", 8443)));
        assert_eq!(split_host_port("[fd00::1]:8443"), Some(("fd00::1", 8443)));
        assert_eq!(split_host_port("[fd00::1]"), Some(("fd00::1", 443)));
        assert_eq!(split_host_port("fd00::1"), Some(("fd00::1", 443)));
        let policy = RemotePolicy {
            allow_loopback: false,
            allowed_hosts: vec!["idp.corp".into(), "[fd00::1]:8443".into()],
        };
        assert!(policy.allows_host("idp.corp", 443));
        assert!(
            !policy.allows_host("idp.corp", 22),
            "a bare host is port 443 only"
        );
        assert!(policy.allows_host("fd00::1", 8443));
    }

    #[test]
    fn a_failed_refetch_keeps_the_fresh_set() {
        let remote = RemoteKeys::new(RemotePolicy::default());
        remote.store("org", "k ", keyset(), None);
        remote.store("org", "k ", failure(), None);
        let cache = remote.cache.lock();
        let kept = cache.get("k ").unwrap();
        assert!(kept.keys.is_ok() && kept.kid_missed.is_some());
    }
}
