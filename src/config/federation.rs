//! Where remote key sets (workload issuers, `jwks_uri` clients) may be fetched from beyond
//! public `https` on port 443.

use super::ConfigError;
use super::setting::{Setting, boolean};

pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "ORGAUTH_ALLOW_LOOPBACK_ISSUERS",
        secret: false,
        read: |config, value| {
            if let Some(value) = value {
                config.allow_loopback_issuers = boolean("ORGAUTH_ALLOW_LOOPBACK_ISSUERS", &value)?;
            }
            Ok(())
        },
        show: |config| config.allow_loopback_issuers.to_string(),
    },
    Setting {
        name: "ORGAUTH_ALLOWED_ISSUER_HOSTS",
        secret: false,
        read: |config, value| {
            if let Some(list) = value {
                config.allowed_issuer_hosts = list
                    .split(',')
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(|h| allowed_host(h).map(|h| h.to_ascii_lowercase()))
                    .collect::<Result<_, _>>()?;
            }
            Ok(())
        },
        show: |config| config.allowed_issuer_hosts.join(","),
    },
];

/// `host` or `host:port`: a DNS name or an address, nothing else (no scheme, path or user).
fn allowed_host(entry: &str) -> Result<&str, ConfigError> {
    let host = match entry.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host,
        _ => entry,
    };
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    if valid {
        Ok(entry)
    } else {
        Err(ConfigError(format!(
            "ORGAUTH_ALLOWED_ISSUER_HOSTS: {entry:?} is not host or host:port \
             (e.g. idp.corp.internal or idp.corp.internal:8443)"
        )))
    }
}
