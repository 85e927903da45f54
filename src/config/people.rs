//! People: how long their sessions last, how recent a sign-in a sensitive change needs, and
//! whom the first start invites.

use std::time::Duration;

use super::ConfigError;
use super::setting::{DAY, Setting, seconds};
use crate::domain::Email;

#[derive(Clone, Debug)]
pub struct PeopleSettings {
    /// A session unused this long ends.
    pub session_idle: Duration,
    /// A session ends this long after its sign-in, used or not.
    pub session_max: Duration,
    /// Changes to credentials, roles and memberships need a sign-in this recent (step-up).
    pub reauth: Duration,
    /// Who the first start's invitation (platform:admin) is for.
    pub bootstrap_admin_email: String,
    /// Where invitations are mailed from; `None`: not mailed.
    pub smtp_url: Option<String>,
    pub smtp_from: Option<String>,
}

impl Default for PeopleSettings {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_secs(1800),
            session_max: Duration::from_secs(43200),
            reauth: Duration::from_secs(600),
            bootstrap_admin_email: "admin@localhost".into(),
            smtp_url: None,
            smtp_from: None,
        }
    }
}

pub const SETTINGS: &[Setting] = &[
    seconds!(
        "ORGAUTH_SESSION_IDLE_SECONDS",
        people.session_idle,
        300,
        30 * DAY
    ),
    seconds!(
        "ORGAUTH_SESSION_MAX_SECONDS",
        people.session_max,
        300,
        30 * DAY
    ),
    seconds!("ORGAUTH_REAUTH_SECONDS", people.reauth, 30, DAY),
    Setting {
        name: "ORGAUTH_BOOTSTRAP_ADMIN_EMAIL",
        secret: false,
        read: |config, value| {
            if let Some(value) = value {
                config.people.bootstrap_admin_email = Email::parse(&value)
                    .map_err(|e| ConfigError(format!("ORGAUTH_BOOTSTRAP_ADMIN_EMAIL {}", e.0)))?
                    .into_inner();
            }
            Ok(())
        },
        show: |config| config.people.bootstrap_admin_email.clone(),
    },
    Setting {
        name: "ORGAUTH_SMTP_URL",
        // It may hold the SMTP password.
        secret: true,
        read: |config, value| {
            config.people.smtp_url = value.filter(|v| !v.trim().is_empty());
            Ok(())
        },
        show: |config| match config.people.smtp_url {
            Some(_) => "(set)".into(),
            None => String::new(),
        },
    },
    Setting {
        name: "ORGAUTH_SMTP_FROM",
        secret: false,
        read: |config, value| {
            config.people.smtp_from = value.filter(|v| !v.trim().is_empty());
            // Checked here so that `config check` refuses what `serve` would.
            crate::mail::Mailer::new(
                config.people.smtp_url.as_deref(),
                config.people.smtp_from.as_deref(),
            )
            .map(drop)
            .map_err(ConfigError)
        },
        show: |config| config.people.smtp_from.clone().unwrap_or_default(),
    },
];
