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
}

impl Default for PeopleSettings {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_secs(1800),
            session_max: Duration::from_secs(43200),
            reauth: Duration::from_secs(600),
            bootstrap_admin_email: "admin@localhost".into(),
        }
    }
}

pub const SETTINGS: &[Setting] = &[
    seconds!("ORGAUTH_SESSION_IDLE_SECONDS", people.session_idle, 60, 30 * DAY),
    seconds!("ORGAUTH_SESSION_MAX_SECONDS", people.session_max, 300, 30 * DAY),
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
];
