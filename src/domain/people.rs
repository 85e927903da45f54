//! People's values: membership roles, e-mail addresses, and the bearer secrets a person's
//! browser holds (session ids, invitation tokens), which the store keeps only as hashes.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{ORG_ADMIN, PLATFORM_ADMIN, ParseError, random_base62};

pub const ORG_VIEWER: &str = "org:viewer";

/// What a person may do in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MembershipRole {
    /// Reads the organization's clients, members, invitations and audit log; changes nothing.
    Viewer,
    /// Manages the organization's clients, members, invitations and SSO.
    Admin,
    /// Platform-wide, as for clients; only in the platform organization.
    PlatformAdmin,
}

impl MembershipRole {
    pub const ALL: [Self; 3] = [Self::Admin, Self::Viewer, Self::PlatformAdmin];

    pub fn parse(value: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == value)
            .ok_or_else(|| {
                ParseError(format!(
                    "must be one of {ORG_ADMIN}, {ORG_VIEWER}, {PLATFORM_ADMIN}"
                ))
            })
    }

    /// For values the store holds (its CHECK constraint admits only these).
    pub fn from_stored(value: &str) -> Self {
        Self::parse(value).unwrap_or(Self::Viewer)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => ORG_VIEWER,
            Self::Admin => ORG_ADMIN,
            Self::PlatformAdmin => PLATFORM_ADMIN,
        }
    }

    /// Whether this role changes the organization (everything but viewing).
    pub fn manages(self) -> bool {
        self != Self::Viewer
    }
}

/// An e-mail address, trimmed and lower-cased; compared as a whole, never by domain alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        let value = value.trim().to_lowercase();
        let invalid = || ParseError("must be an e-mail address (name@domain)".into());
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && !domain.starts_with(['.', '-'])
            && !domain.ends_with(['.', '-'])
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || !domain_ok || local.contains(['<', '>', '"']) {
            return Err(invalid());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A secret the browser holds (a session id, an invitation token): 256 random bits, base62.
#[derive(Clone)]
pub struct BearerSecret(String);

impl BearerSecret {
    pub fn generate() -> Self {
        Self(random_base62(43))
    }

    /// What a browser presented; anything else is looked up as given (and found nowhere).
    pub fn presented(value: &str) -> Self {
        Self(value.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keeps: the SHA-256, base64url.
    pub fn hash(&self) -> String {
        hash_text(&self.0)
    }
}

impl std::fmt::Debug for BearerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerSecret(…)")
    }
}

/// SHA-256 of `text`, base64url without padding (stored lookup keys).
pub fn hash_text(text: &str) -> String {
    hash_bytes(text.as_bytes())
}

pub fn hash_bytes(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lower_cased_and_checked() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert!(Email::parse("admin@localhost").is_ok());
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "a b@example.com",
            "ada@exa..mple",
            "ada@-x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn membership_roles_are_the_three_of_the_spec() {
        for role in MembershipRole::ALL {
            assert_eq!(MembershipRole::parse(role.as_str()), Ok(role));
        }
        assert!(MembershipRole::parse("billing:read").is_err());
        assert!(!MembershipRole::Viewer.manages());
    }

    #[test]
    fn a_bearer_secret_is_long_and_hashed_for_storage() {
        let secret = BearerSecret::generate();
        assert_eq!(secret.expose().len(), 43);
        assert_ne!(secret.hash(), secret.expose());
        assert_eq!(
            secret.hash(),
            BearerSecret::presented(secret.expose()).hash()
        );
        assert!(!format!("{secret:?}").contains(secret.expose()));
    }
}
