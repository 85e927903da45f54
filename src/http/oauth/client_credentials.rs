//! Which client is calling: `client_secret_basic` (RFC 6749 §2.3.1, with the ID and secret
//! form-url-encoded before base64) or `client_secret_post`, never both; and whether it is
//! who it says (shared by the token, introspection and revocation endpoints).

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::percent_decode_str;

use super::OAuthError;
use super::form::Form;
use crate::client_auth::{AuthFailure, AuthenticatedClient};
use crate::domain::{ClientId, ClientSecret};
use crate::http::{AppState, LoggedClient};

pub struct PresentedCredentials {
    pub client_id: ClientId,
    pub secret: ClientSecret,
    /// Whether HTTP Basic was used: failures then carry a `WWW-Authenticate` challenge.
    pub basic: bool,
}

/// Extracts the credentials and authenticates the client. Format errors (a malformed ID, a
/// secret with a bad checksum) are `invalid_client` like a wrong secret, and cost no hashing.
pub async fn authenticate(
    req: &HttpRequest,
    form: &Form,
    state: &AppState,
) -> Result<AuthenticatedClient, OAuthError> {
    let credentials = extract(req, form)?;
    let client = state
        .authenticator
        .authenticate(
            &credentials.client_id,
            &credentials.secret,
            state.source_address(req),
        )
        .await
        .map_err(|e| match e {
            AuthFailure::Rejected => OAuthError::InvalidClient {
                basic: credentials.basic,
            },
            AuthFailure::RateLimited { retry_after } => OAuthError::RateLimited(retry_after),
            AuthFailure::Overloaded => OAuthError::Unavailable,
            AuthFailure::Store(e) => e.into(),
        })?;
    req.extensions_mut()
        .insert(LoggedClient(client.id().to_owned()));
    Ok(client)
}

fn extract(req: &HttpRequest, form: &Form) -> Result<PresentedCredentials, OAuthError> {
    let body_id = form.get("client_id");
    let body_secret = form.get("client_secret");
    let authorization = req.headers().get(header::AUTHORIZATION);

    let (raw_id, raw_secret, basic) = match authorization {
        Some(value) => {
            if body_secret.is_some() {
                return Err(OAuthError::InvalidRequest(
                    "use one client authentication method: HTTP Basic or client_secret in the body, not both".into(),
                ));
            }
            let (id, secret) = decode_basic(value.to_str().unwrap_or(""))
                .ok_or(OAuthError::InvalidClient { basic: true })?;
            if body_id.is_some_and(|b| b != id) {
                return Err(OAuthError::InvalidRequest(
                    "client_id in the body differs from the HTTP Basic credentials".into(),
                ));
            }
            (id, secret, true)
        }
        None => match (body_id, body_secret) {
            (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned(), false),
            _ => return Err(OAuthError::InvalidClient { basic: false }),
        },
    };

    let invalid = || OAuthError::InvalidClient { basic };
    let client_id = ClientId::parse(&raw_id).map_err(|_| invalid())?;
    let secret = ClientSecret::parse(&raw_secret).map_err(|_| invalid())?;
    Ok(PresentedCredentials {
        client_id,
        secret,
        basic,
    })
}

/// `Authorization: Basic …` → (client_id, secret), each form-url-decoded (RFC 6749 §2.3.1).
pub fn decode_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// `application/x-www-form-urlencoded` decoding of one component: `+` is a space.
fn form_decode(s: &str) -> Option<String> {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_url_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%2Eclient:p%3Ass+word"));
        assert_eq!(
            decode_basic(&header),
            Some(("my.client".into(), "p:ss word".into()))
        );
        assert_eq!(decode_basic("Bearer abc"), None);
        assert_eq!(decode_basic("Basic !!!"), None);
    }
}
