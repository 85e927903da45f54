//! Listening: addresses, TLS, the issuer URL clients reach this server at, workers, and the
//! reverse proxies whose forwarding header is believed.

use std::net::IpAddr;
use std::path::PathBuf;

use actix_web::http::header::HeaderName;
use ipnet::IpNet;

use super::ConfigError;
use super::setting::{Setting, number};

/// PEM files of the server's certificate chain and private key.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "ORGAUTH_BIND",
        secret: false,
        read: |config, value| {
            if let Some(bind) = value {
                config.bind = listen_address("ORGAUTH_BIND", &bind)?;
            }
            Ok(())
        },
        show: |config| config.bind.clone(),
    },
    Setting {
        name: "ORGAUTH_OPS_BIND",
        secret: false,
        read: |config, value| {
            config.ops_bind = value
                .map(|v| listen_address("ORGAUTH_OPS_BIND", &v))
                .transpose()?;
            if config.ops_bind.as_deref() == Some(config.bind.as_str()) {
                return Err(ConfigError(format!(
                    "ORGAUTH_OPS_BIND={} is ORGAUTH_BIND too: the operations listener needs \
                     a port of its own (or leave it unset to serve /metrics on the main one)",
                    config.bind
                )));
            }
            Ok(())
        },
        show: |config| {
            config
                .ops_bind
                .clone()
                .unwrap_or_else(|| "(unset: main listener)".into())
        },
    },
    // The certificate first, then the key, which checks that both or neither are set.
    Setting {
        name: "ORGAUTH_TLS_CERT_FILE",
        secret: false,
        read: |config, value| {
            config.tls = value.map(|cert| TlsFiles {
                cert: cert.into(),
                key: PathBuf::new(),
            });
            Ok(())
        },
        show: |config| {
            config
                .tls
                .as_ref()
                .map_or("(unset: plain HTTP)".into(), |t| {
                    t.cert.display().to_string()
                })
        },
    },
    Setting {
        name: "ORGAUTH_TLS_KEY_FILE",
        secret: false,
        read: |config, value| match (&mut config.tls, value) {
            (Some(tls), Some(key)) => {
                tls.key = key.into();
                Ok(())
            }
            (None, None) => Ok(()),
            _ => Err(ConfigError(
                "set both ORGAUTH_TLS_CERT_FILE and ORGAUTH_TLS_KEY_FILE, or neither".into(),
            )),
        },
        show: |config| {
            config
                .tls
                .as_ref()
                .map_or("(unset)".into(), |t| t.key.display().to_string())
        },
    },
    // After the bind address and TLS, which its default is made of.
    Setting {
        name: "ORGAUTH_ISSUER",
        secret: false,
        read: |config, value| {
            config.issuer = match value {
                Some(issuer) => issuer_url(&issuer)?,
                // On a loopback address the bind address is the URL clients use; anywhere else
                // it is not (0.0.0.0, a pod IP), and every token would carry a wrong `iss`.
                None if is_loopback(&config.bind) => {
                    let scheme = if config.tls.is_some() {
                        "https"
                    } else {
                        "http"
                    };
                    format!("{scheme}://{}", config.bind)
                }
                None => {
                    return Err(ConfigError(format!(
                        "ORGAUTH_ISSUER must be set when ORGAUTH_BIND ({}) is not a loopback \
                         address: it is the `iss` of every token and the base of the discovery \
                         document, the URL clients reach this server at (e.g. \
                         ORGAUTH_ISSUER=https://auth.example.com)",
                        config.bind
                    )));
                }
            };
            Ok(())
        },
        show: |config| config.issuer.clone(),
    },
    number!("ORGAUTH_WORKERS", workers, 1, 1024),
    Setting {
        name: "ORGAUTH_TRUSTED_PROXIES",
        secret: false,
        read: |config, value| {
            if let Some(list) = value {
                config.trusted_proxies = parse_networks(&list)
                    .map_err(|e| ConfigError(format!("ORGAUTH_TRUSTED_PROXIES: {e}")))?;
            }
            Ok(())
        },
        show: |config| {
            config
                .trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        },
    },
    // After the proxies, which it needs.
    Setting {
        name: "ORGAUTH_TRUSTED_PROXY_HEADER",
        secret: false,
        read: |config, value| {
            config.trusted_proxy_header = value
                .map(|h| trusted_proxy_header(&h, &config.trusted_proxies))
                .transpose()?;
            Ok(())
        },
        show: |config| {
            config
                .trusted_proxy_header
                .as_ref()
                .map_or(String::new(), |h| h.to_string())
        },
    },
];

/// A `host:port` to listen on (`[v6]:port` for IPv6), checked before anything starts.
fn listen_address(name: &str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    let bad = |why: &str| ConfigError(format!("{name}={value:?}: {why} (e.g. 0.0.0.0:8080)"));
    let (host, port) = value.rsplit_once(':').ok_or_else(|| bad("not host:port"))?;
    port.parse::<u16>()
        .map_err(|_| bad("the port must be 0-65535"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(bad("not a host name or address"));
    }
    Ok(value.to_owned())
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

/// The forwarding header: an `X-Forwarded-For`-style list, believed only from named proxies.
fn trusted_proxy_header(h: &str, trusted_proxies: &[IpNet]) -> Result<HeaderName, ConfigError> {
    let name = HeaderName::try_from(h.trim()).map_err(|_| {
        ConfigError(format!(
            "ORGAUTH_TRUSTED_PROXY_HEADER={h:?} is not a header name"
        ))
    })?;
    if name == "forwarded" {
        return Err(ConfigError(
            "ORGAUTH_TRUSTED_PROXY_HEADER: the RFC 7239 Forwarded header is not supported; use \
             an X-Forwarded-For-style header (a comma-separated list of addresses)"
                .into(),
        ));
    }
    if trusted_proxies.is_empty() {
        return Err(ConfigError(
            "ORGAUTH_TRUSTED_PROXY_HEADER is set but ORGAUTH_TRUSTED_PROXIES is empty: name the \
             reverse proxies' addresses or CIDR blocks, so that no other caller can choose the \
             address it is rate limited under"
                .into(),
        ));
    }
    Ok(name)
}

/// Whether `bind` (`host:port`) listens on a loopback address only.
fn is_loopback(bind: &str) -> bool {
    let host = bind.rsplit_once(':').map_or(bind, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An absolute `http(s)` URL without query or fragment, without a trailing slash.
fn issuer_url(value: &str) -> Result<String, ConfigError> {
    let value = value.trim().trim_end_matches('/');
    let host = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let valid = host.is_some_and(|rest| {
        let authority = rest.split('/').next().unwrap_or_default();
        !authority.is_empty()
            && !authority.contains('@')
            && !rest.contains(['?', '#'])
            && !rest.chars().any(char::is_whitespace)
    });
    if !valid {
        return Err(ConfigError(format!(
            "ORGAUTH_ISSUER={value:?} must be an absolute http:// or https:// URL without a \
             query or fragment, e.g. https://auth.example.com"
        )));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_cidr_blocks_or_single_addresses() {
        let nets = parse_networks("10.0.0.0/8, 192.0.2.7").unwrap();
        assert_eq!(nets.len(), 2);
        assert!(parse_networks("10.0.0.0/8, not-an-address").is_err());
    }
}
