//! Running it: the log format and the first start's bootstrap credentials.

use super::ConfigError;
use super::setting::Setting;
use crate::domain::{ClientId, ClientSecret};

pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "ORGAUTH_LOG_FORMAT",
        secret: false,
        read: |config, value| {
            if let Some(format) = value {
                config.log_format = format.parse().map_err(ConfigError)?;
            }
            Ok(())
        },
        show: |config| format!("{:?}", config.log_format).to_lowercase(),
    },
    Setting {
        name: "ORGAUTH_BOOTSTRAP_CLIENT_ID",
        secret: false,
        read: |config, value| {
            config.bootstrap_client_id = value
                .map(|s| ClientId::parse(&s))
                .transpose()
                .map_err(|e| ConfigError(format!("ORGAUTH_BOOTSTRAP_CLIENT_ID: {e}")))?;
            Ok(())
        },
        show: |config| {
            config
                .bootstrap_client_id
                .as_ref()
                .map_or("(generated on first start)".into(), ToString::to_string)
        },
    },
    Setting {
        name: "ORGAUTH_BOOTSTRAP_CLIENT_SECRET",
        secret: true,
        read: |config, value| {
            config.bootstrap_client_secret = value
                .map(|s| ClientSecret::parse(&s))
                .transpose()
                .map_err(|e| {
                    ConfigError(format!(
                        "ORGAUTH_BOOTSTRAP_CLIENT_SECRET is not a well-formed orgauth secret \
                         ({e}); generate one with `orgauth secret generate`"
                    ))
                })?;
            Ok(())
        },
        show: |config| match config.bootstrap_client_secret {
            Some(_) => "(set, not shown)".to_owned(),
            None => "(generated on first start)".to_owned(),
        },
    },
];
