//! The caller's address, for brute-force accounting and the request log.
//!
//! Directly exposed, it is the TCP peer. Behind reverse proxies (`ORGAUTH_TRUSTED_PROXY_HEADER`,
//! e.g. `X-Forwarded-For`), the header is believed only when the peer is a trusted proxy
//! (`ORGAUTH_TRUSTED_PROXIES`), and then the address is the right-most entry that is not a
//! trusted proxy: every proxy appends the address it saw, so entries left of the first
//! untrusted one may be forged by the caller. A missing or unparsable header falls back to the
//! peer: per-address limiting is never turned off.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use ipnet::IpNet;

/// Where proxies are assumed to live when only the header is configured: loopback and the
/// private ranges.
pub const DEFAULT_TRUSTED_PROXIES: &str =
    "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7";

#[derive(Clone, Debug, Default)]
pub struct ClientAddressResolver {
    header: Option<HeaderName>,
    trusted: Vec<IpNet>,
}

impl ClientAddressResolver {
    pub fn new(header: Option<HeaderName>, trusted: Vec<IpNet>) -> Self {
        Self { header, trusted }
    }

    /// Parses a comma-separated list of CIDR blocks or single addresses.
    pub fn parse_networks(list: &str) -> Result<Vec<IpNet>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{s:?} is not an address or CIDR block"))
            })
            .collect()
    }

    pub fn resolve(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr().map(|a| a.ip())?;
        match &self.header {
            Some(header) if self.is_trusted(peer) => {
                Some(self.forwarded_caller(req, header).unwrap_or(peer))
            }
            _ => Some(peer),
        }
    }

    fn forwarded_caller(&self, req: &HttpRequest, header: &HeaderName) -> Option<IpAddr> {
        let mut hops = Vec::new();
        for value in req.headers().get_all(header) {
            for hop in value.to_str().ok()?.split(',') {
                hops.push(parse_hop(hop)?);
            }
        }
        hops.iter()
            .rev()
            .find(|ip| !self.is_trusted(**ip))
            .or(hops.first())
            .copied()
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted.iter().any(|net| net.contains(&ip))
    }
}

/// One entry of a forwarding header: `ip`, `ip:port`, `[v6]` or `[v6]:port`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|a| a.ip()))
        .or_else(|_| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or("")
                .parse::<IpAddr>()
        })
        .ok()
        .map(canonical)
}

/// An IPv4-mapped IPv6 address is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn resolver() -> ClientAddressResolver {
        ClientAddressResolver::new(
            Some(HeaderName::from_static("x-forwarded-for")),
            ClientAddressResolver::parse_networks("10.0.0.0/8, 192.0.2.7").unwrap(),
        )
    }

    fn resolve(peer: &str, header: Option<&str>) -> Option<IpAddr> {
        let mut req = TestRequest::default().peer_addr(peer.parse().unwrap());
        if let Some(h) = header {
            req = req.insert_header(("x-forwarded-for", h));
        }
        resolver().resolve(&req.to_http_request())
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn takes_the_right_most_untrusted_hop() {
        assert_eq!(
            resolve("10.0.0.1:5000", Some("6.6.6.6, 198.51.100.3, 10.1.1.1")),
            ip("198.51.100.3")
        );
        assert_eq!(
            resolve("192.0.2.7:1", Some("198.51.100.3:4711")),
            ip("198.51.100.3")
        );
        assert_eq!(
            resolve("10.0.0.1:1", Some("[2001:db8::1]:443, 10.2.2.2")),
            ip("2001:db8::1")
        );
        assert_eq!(
            resolve("10.0.0.1:1", Some("[2001:db8::2]")),
            ip("2001:db8::2")
        );
    }

    #[test]
    fn an_untrusted_peer_is_the_address_whatever_it_claims() {
        assert_eq!(resolve("203.0.113.9:1", Some("1.2.3.4")), ip("203.0.113.9"));
    }

    #[test]
    fn a_missing_or_unparsable_header_falls_back_to_the_peer() {
        assert_eq!(resolve("10.0.0.1:1", None), ip("10.0.0.1"));
        assert_eq!(
            resolve("10.0.0.1:1", Some("unknown, 1.2.3.4")),
            ip("10.0.0.1")
        );
        assert_eq!(resolve("10.0.0.1:1", Some("")), ip("10.0.0.1"));
    }

    #[test]
    fn only_trusted_hops_yield_the_left_most() {
        assert_eq!(
            resolve("10.0.0.1:1", Some("10.9.9.9, 10.0.0.2")),
            ip("10.9.9.9")
        );
    }
}
