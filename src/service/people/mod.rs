//! People's use cases: sessions (sign-in, sign-out, the cookie check of every request),
//! passkeys (the WebAuthn ceremonies), invitations and memberships. The grant rule of
//! `access` holds for people as for clients: nobody hands out or takes away a role they could
//! not grant.

pub mod invitations;
pub mod members;
pub mod passkeys;
pub mod sessions;
pub mod users;

/// Where a request came from, as recorded with a session and in the audit log.
#[derive(Debug, Clone, Default)]
pub struct RequestOrigin {
    pub address: Option<String>,
    /// At most 256 characters of it.
    pub user_agent: Option<String>,
}

impl RequestOrigin {
    pub fn new(address: Option<String>, user_agent: Option<&str>) -> Self {
        Self {
            address,
            user_agent: user_agent
                .filter(|ua| !ua.is_empty())
                .map(|ua| ua.chars().filter(|c| !c.is_control()).take(256).collect()),
        }
    }
}
