//! The client credentials grant's policy, free of HTTP and storage: which audience a token is
//! for, and which of the client's roles it carries.

use std::borrow::Cow;

use crate::domain::{RoleSet, Scope};

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// RFC 8707 `invalid_target`.
    #[error("{0:?} is not an audience of this server")]
    UnknownAudience(String),
    /// RFC 6749 `invalid_scope`.
    #[error("the client does not hold the role {0}")]
    RoleNotHeld(String),
}

/// The audiences a token may be for: the configured ones (the first is the default) and the
/// issuer itself, the admin API's audience, which every client may always ask for.
#[derive(Clone, Debug)]
pub struct Audiences {
    issuer: String,
    configured: Vec<String>,
}

impl Audiences {
    pub fn new(issuer: impl Into<String>, configured: Vec<String>) -> Self {
        Self {
            issuer: issuer.into(),
            configured,
        }
    }

    /// The configured audiences, the default first (empty: `aud` is the issuer).
    pub fn configured(&self) -> &[String] {
        &self.configured
    }

    /// The requested audience if allowed; without a request, the first configured audience,
    /// or the issuer when none is configured (RFC 9068 requires an `aud`).
    pub fn resolve(&self, requested: Option<&str>) -> Result<&str, GrantError> {
        match requested {
            None => Ok(self.configured.first().unwrap_or(&self.issuer)),
            Some(a) if a == self.issuer => Ok(&self.issuer),
            Some(a) => self
                .configured
                .iter()
                .find(|c| *c == a)
                .map(String::as_str)
                .ok_or_else(|| GrantError::UnknownAudience(a.to_owned())),
        }
    }
}

/// The roles a token carries: all the client holds without a scope (or with an empty one),
/// else exactly the requested ones, each of which the client must hold.
pub fn granted_roles<'a>(
    held: &'a RoleSet,
    scope: Option<&Scope>,
) -> Result<Cow<'a, [String]>, GrantError> {
    let Some(scope) = scope.filter(|s| !s.is_empty()) else {
        return Ok(Cow::Borrowed(held.as_slice()));
    };
    scope
        .roles()
        .iter()
        .map(|role| {
            if held.contains(role.as_str()) {
                Ok(role.as_str().to_owned())
            } else {
                Err(GrantError::RoleNotHeld(role.as_str().to_owned()))
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audiences(configured: &[&str]) -> Audiences {
        Audiences::new(
            "https://auth.example.com",
            configured.iter().map(|s| s.to_string()).collect(),
        )
    }

    #[test]
    fn the_default_audience_is_the_first_configured_else_the_issuer() {
        assert_eq!(audiences(&[]).resolve(None), Ok("https://auth.example.com"));
        assert_eq!(
            audiences(&["https://api.example.com", "https://b.example.com"]).resolve(None),
            Ok("https://api.example.com")
        );
    }

    #[test]
    fn the_issuer_is_always_allowed_and_nothing_unconfigured_is() {
        let a = audiences(&["https://api.example.com"]);
        assert_eq!(
            a.resolve(Some("https://auth.example.com")),
            Ok("https://auth.example.com")
        );
        assert_eq!(
            a.resolve(Some("https://api.example.com")),
            Ok("https://api.example.com")
        );
        assert_eq!(
            a.resolve(Some("https://evil.example.com")),
            Err(GrantError::UnknownAudience(
                "https://evil.example.com".into()
            ))
        );
    }

    #[test]
    fn a_scope_narrows_to_held_roles_only() {
        let held = RoleSet::parse(&["b:write", "a:read"]).unwrap();
        assert_eq!(
            granted_roles(&held, None).unwrap().as_ref(),
            held.as_slice()
        );
        let empty = Scope::parse("").unwrap();
        assert_eq!(
            granted_roles(&held, Some(&empty)).unwrap().as_ref(),
            held.as_slice()
        );
        let narrow = Scope::parse("b:write").unwrap();
        assert_eq!(
            granted_roles(&held, Some(&narrow)).unwrap().as_ref(),
            ["b:write"]
        );
        let wider = Scope::parse("a:read c:admin").unwrap();
        assert_eq!(
            granted_roles(&held, Some(&wider)),
            Err(GrantError::RoleNotHeld("c:admin".into()))
        );
    }
}
