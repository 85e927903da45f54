//! Access tokens: how they are signed, how long they live, and for which audiences.

use super::setting::{DAY, Setting, seconds};
use super::{Config, ConfigError};

pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "ORGAUTH_SIGNING_ALG",
        secret: false,
        read: |config, value| {
            if let Some(alg) = value {
                config.signing_alg = alg.parse().map_err(ConfigError)?;
            }
            Ok(())
        },
        show: |config| config.signing_alg.to_string(),
    },
    seconds!("ORGAUTH_TOKEN_TTL_MAX_SECONDS", token_ttl_max, 60, 30 * DAY),
    // After the maximum, which bounds it.
    Setting {
        name: "ORGAUTH_TOKEN_TTL_SECONDS",
        secret: false,
        read: read_token_ttl,
        show: |config| config.token_ttl.as_secs().to_string(),
    },
    seconds!("ORGAUTH_STATUS_LIST_TTL_SECONDS", status_list_ttl, 1, 300),
    Setting {
        name: "ORGAUTH_AUDIENCES",
        secret: false,
        read: |config, value| {
            if let Some(list) = value {
                config.audiences = list
                    .split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(String::from)
                    .collect();
            }
            Ok(())
        },
        show: |config| config.audiences.join(","),
    },
];

fn read_token_ttl(config: &mut Config, value: Option<String>) -> Result<(), ConfigError> {
    let max = config.token_ttl_max.as_secs();
    // The default (an hour) may itself be above a lowered maximum.
    let value = value.unwrap_or_else(|| config.token_ttl.as_secs().to_string());
    config.token_ttl = super::setting::parse_seconds("ORGAUTH_TOKEN_TTL_SECONDS", &value, 60, max)
        .map_err(|e| {
            ConfigError(format!(
                "{} (ORGAUTH_TOKEN_TTL_MAX_SECONDS, up to 2592000 = 30 days, raises the maximum \
                 for an operator who means it: a leaked token stays valid that long)",
                e.0
            ))
        })?;
    Ok(())
}
