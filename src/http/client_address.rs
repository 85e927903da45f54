//! The caller's address, for brute-force accounting and the request log.
//!
//! Directly exposed, it is the TCP peer. Behind reverse proxies (`ORGAUTH_TRUSTED_PROXY_HEADER`,
//! e.g. `X-Forwarded-For`), the header is believed only when the peer is one of the
//! `ORGAUTH_TRUSTED_PROXIES` (which must then be named: there is no default, since any caller
//! inside a trusted range could pick the address it is counted under). The header is read
//! right to left, as the proxies appended it: the caller is the first entry that is not a
//! trusted proxy, and nothing left of it is even parsed (the caller may have written it).
//! When every entry is a trusted proxy, the right-most one counts. A missing or unparsable
//! header falls back to the peer: per-address limiting is never turned off.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use ipnet::IpNet;

#[derive(Clone, Debug, Default)]
pub struct ClientAddressResolver {
    header: Option<HeaderName>,
    trusted: Vec<IpNet>,
}

impl ClientAddressResolver {
    pub fn new(header: Option<HeaderName>, trusted: Vec<IpNet>) -> Self {
        Self { header, trusted }
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
        // Several header lines form one list, in order.
        let values: Vec<&str> = req
            .headers()
            .get_all(header)
            .map(|v| v.to_str().ok())
            .collect::<Option<_>>()?;
        let mut right_most_trusted = None;
        for hop in values.iter().rev().flat_map(|v| v.rsplit(',')) {
            let ip = parse_hop(hop)?;
            if !self.is_trusted(ip) {
                return Some(ip);
            }
            right_most_trusted.get_or_insert(ip);
        }
        right_most_trusted
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
            crate::config::parse_networks("10.0.0.0/8, 192.0.2.7").unwrap(),
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
            resolve("10.0.0.1:1", Some("1.2.3.4, unknown")),
            ip("10.0.0.1")
        );
        assert_eq!(resolve("10.0.0.1:1", Some("")), ip("10.0.0.1"));
    }

    #[test]
    fn garbage_left_of_the_caller_is_never_read() {
        assert_eq!(
            resolve(
                "10.0.0.1:1",
                Some("for=evil, unknown, 198.51.100.3, 10.1.1.1")
            ),
            ip("198.51.100.3")
        );
    }

    #[test]
    fn when_every_hop_is_trusted_the_right_most_counts() {
        // The left-most could be anything a caller inside a trusted range wrote.
        assert_eq!(
            resolve("10.0.0.1:1", Some("10.9.9.9, 10.0.0.2")),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn several_header_lines_are_one_list() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.1:1".parse().unwrap())
            .append_header(("x-forwarded-for", "198.51.100.1"))
            .append_header(("x-forwarded-for", "198.51.100.2, 10.0.0.3"))
            .to_http_request();
        assert_eq!(resolver().resolve(&req), ip("198.51.100.2"));
    }
}
