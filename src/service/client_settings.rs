//! A client's settings beyond its name and roles — description, disabled, its own token
//! lifetime — and its secret's expiry under the organization's maximum secret lifetime.

use std::time::Duration;

use chrono::NaiveDateTime;

use super::ServiceError;
use crate::domain::trust_policy::fetchable_url;
use crate::domain::{AuthMethod, ClientKeys, check_free_text};
use crate::store::organizations::Organization;

/// The longest description kept.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// The shortest token lifetime a client may have.
pub const MIN_TOKEN_TTL: Duration = Duration::from_secs(60);

/// How the client authenticates, as set.
pub enum ClientAuth {
    /// A secret (`client_secret_basic`, `client_secret_post`). A client switched back from
    /// keys gets its secret by a rotation.
    Secret,
    /// `private_key_jwt` with these public keys: a JWK set as JSON text, checked by
    /// `ClientKeys::parse`.
    Keys(String),
    /// `private_key_jwt` with the keys the client publishes at this URL (fetched like a
    /// workload issuer's: `remote_keys`).
    KeysAt(String),
}

impl ClientAuth {
    /// The method, and the keys or their URL.
    pub fn parts(&self) -> (AuthMethod, Option<&str>, Option<&str>) {
        match self {
            Self::Secret => (AuthMethod::ClientSecret, None, None),
            Self::Keys(jwks) => (AuthMethod::PrivateKeyJwt, Some(jwks), None),
            Self::KeysAt(uri) => (AuthMethod::PrivateKeyJwt, None, Some(uri)),
        }
    }
}

/// Settings to set; `None` leaves one as it is.
#[derive(Default)]
pub struct ClientSettings {
    pub auth: Option<ClientAuth>,
    pub description: Option<String>,
    pub disabled: Option<bool>,
    /// `Some(None)` returns the client to the server's lifetime.
    pub token_ttl_seconds: Option<Option<i64>>,
    /// The server's token lifetime: a client's own may be shorter, never longer.
    pub server_token_ttl: Duration,
}

impl ClientSettings {
    pub fn is_empty(&self) -> bool {
        self.description.is_none()
            && self.disabled.is_none()
            && self.token_ttl_seconds.is_none()
            && self.auth.is_none()
    }

    /// The settings, checked: a description of free text, a lifetime within bounds.
    pub fn validated(mut self) -> Result<Self, ServiceError> {
        if let Some(ClientAuth::Keys(jwks)) = &self.auth {
            let value = serde_json::from_str(jwks)
                .map_err(|_| ServiceError::invalid("jwks", "is not JSON"))?;
            ClientKeys::parse(&value).map_err(|e| ServiceError::invalid("jwks", e))?;
        }
        if let Some(ClientAuth::KeysAt(uri)) = &self.auth {
            let uri = fetchable_url(uri).map_err(|e| ServiceError::invalid("jwks_uri", e.0))?;
            self.auth = Some(ClientAuth::KeysAt(uri));
        }
        if let Some(description) = &self.description {
            let description = description.trim();
            if description.chars().count() > MAX_DESCRIPTION_CHARS {
                return Err(ServiceError::invalid(
                    "description",
                    format!("at most {MAX_DESCRIPTION_CHARS} characters"),
                ));
            }
            check_free_text(description).map_err(|e| ServiceError::invalid("description", e.0))?;
            self.description = Some(description.to_owned());
        }
        if let Some(Some(ttl)) = self.token_ttl_seconds {
            let (min, max) = (MIN_TOKEN_TTL.as_secs(), self.server_token_ttl.as_secs());
            if !(min as i64..=max as i64).contains(&ttl) {
                return Err(ServiceError::invalid(
                    "token_ttl_seconds",
                    format!(
                        "must be from {min} to {max} seconds (the server's token lifetime, \
                         ORGAUTH_TOKEN_TTL_SECONDS)"
                    ),
                ));
            }
        }
        Ok(self)
    }
}

/// When a new secret of `org` expires: the requested instant, which must be in the future and
/// within the organization's maximum secret lifetime; without a request, that maximum (or
/// never, when the organization has none).
pub fn secret_expiry(
    org: &Organization,
    requested: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, ServiceError> {
    if requested.is_some_and(|at| at <= now) {
        return Err(ServiceError::invalid(
            "client_secret_expires_at",
            "must be in the future",
        ));
    }
    // RFC 3339 has four-digit years: a later instant could not be written back as one.
    if requested.is_some_and(|at| chrono::Datelike::year(&at) > 9999) {
        return Err(ServiceError::invalid(
            "client_secret_expires_at",
            "must be before the year 10000",
        ));
    }
    let Some(max) = org.max_secret_lifetime_seconds else {
        return Ok(requested);
    };
    let limit = now + chrono::TimeDelta::seconds(max);
    match requested {
        Some(at) if at > limit => Err(ServiceError::invalid(
            "client_secret_expires_at",
            format!(
                "at most {max} seconds ahead: the organization's maximum secret lifetime \
                 (max_secret_lifetime_seconds)"
            ),
        )),
        Some(at) => Ok(Some(at)),
        None => Ok(Some(limit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(max: Option<i64>) -> Organization {
        Organization {
            id: "org_a".into(),
            name: "Acme".into(),
            created_at: NaiveDateTime::default(),
            max_secret_lifetime_seconds: max,
            platform: false,
        }
    }

    #[test]
    fn secret_expiry_follows_the_organization_maximum() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let day = chrono::TimeDelta::days(1);
        assert_eq!(secret_expiry(&org(None), None, now).unwrap(), None);
        assert_eq!(
            secret_expiry(&org(None), Some(now + day), now).unwrap(),
            Some(now + day)
        );
        assert!(secret_expiry(&org(None), Some(now), now).is_err());
        assert_eq!(
            secret_expiry(&org(Some(86_400)), None, now).unwrap(),
            Some(now + day)
        );
        assert!(secret_expiry(&org(Some(86_400)), Some(now + day * 2), now).is_err());
    }
}
