//! Signing keys: where PEM files are imported from, the key-encryption key that seals them in
//! the database, and when a next key activates and the active one is rotated.

use std::time::Duration;

use super::ConfigError;
use super::setting::{DAY, Setting, bounded, seconds};

pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "ORGAUTH_KEYS_DIR",
        secret: false,
        read: |config, value| {
            if let Some(dir) = value {
                config.keys_dir = dir.into();
            }
            // A directory others may write (a planted key) or key files others may read:
            // refused by every command, before anything starts.
            crate::token::check_key_permissions(&config.keys_dir)
                .map_err(|e| ConfigError(format!("ORGAUTH_KEYS_DIR: {e}")))
        },
        show: |config| config.keys_dir.display().to_string(),
    },
    Setting {
        name: "ORGAUTH_KEY_ENCRYPTION_KEY",
        secret: true,
        read: |config, value| {
            // Its format checked now (its fit with the stored keys once the database is
            // reached).
            if let Some(text) = &value {
                crate::token::KeyEncryptionKey::parse(text)
                    .map_err(|e| ConfigError(e.to_string()))?;
            }
            config.key_encryption_key = value;
            Ok(())
        },
        show: |config| match config.key_encryption_key {
            Some(_) => "(set, not shown)".to_owned(),
            None => format!("(unset: {}/kek)", config.keys_dir.display()),
        },
    },
    seconds!(
        "ORGAUTH_KEY_ACTIVATION_DELAY_SECONDS",
        key_activation_delay,
        0,
        7 * DAY
    ),
    Setting {
        name: "ORGAUTH_KEY_ROTATION_DAYS",
        secret: false,
        read: |config, value| {
            if let Some(value) = value {
                config.key_rotation_interval =
                    match bounded("ORGAUTH_KEY_ROTATION_DAYS", &value, 0u64, 3650)? {
                        0 => None,
                        days => Some(Duration::from_secs(days.saturating_mul(DAY))),
                    };
            }
            Ok(())
        },
        show: |config| {
            config
                .key_rotation_interval
                .map_or("0".into(), |d| (d.as_secs() / DAY).to_string())
        },
    },
];
