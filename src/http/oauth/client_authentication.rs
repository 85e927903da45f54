//! Which client is calling: `client_secret_basic` (RFC 6749 §2.3.1, with the ID and secret
//! form-url-encoded before base64), `client_secret_post`, or `private_key_jwt` (RFC 7523
//! §2.2), never two at once; and whether it is who it says (shared by the token,
//! introspection and revocation endpoints).

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::percent_decode_str;

use super::OAuthError;
use super::form::Form;
use super::tarpit::Connection;
use crate::client_auth::{AuthFailure, AuthenticatedClient};
use crate::domain::client_keys::claimed_issuer_and_subject;
use crate::domain::{ClientId, ClientSecret};
use crate::http::{AppState, LoggedClient};

pub struct PresentedCredentials {
    pub client_id: ClientId,
    pub proof: Proof,
    /// Whether HTTP Basic was used: failures then carry a `WWW-Authenticate` challenge.
    pub basic: bool,
}

pub enum Proof {
    Secret(ClientSecret),
    /// The client's own signed JWT (`client_assertion`, `iss` = the client).
    Assertion(String),
    /// A workload token of another issuer (`client_assertion`), for a trust policy.
    Workload {
        token: String,
        issuer: String,
    },
}

/// The only `client_assertion_type` (RFC 7523 §2.2).
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Extracts the credentials and authenticates the client. Format errors (a malformed ID, a
/// secret with a bad checksum) are `invalid_client` like a wrong secret, and cost no hashing.
pub async fn authenticate(
    req: &HttpRequest,
    form: &Form,
    state: &AppState,
) -> Result<AuthenticatedClient, OAuthError> {
    // The address (forwarded, behind a trusted proxy) and the attempted client ID go in the
    // request's log line, failures included — a malformed secret too.
    let source = state.source_address(req);
    let credentials = extract(req, form)?;
    let authenticated = match &credentials.proof {
        Proof::Secret(secret) => {
            state
                .authenticator
                .authenticate(&credentials.client_id, secret, source)
                .await
        }
        Proof::Workload { token, issuer } => {
            state
                .authenticator
                .authenticate_workload(&credentials.client_id, token, issuer, source)
                .await
        }
        Proof::Assertion(assertion) => {
            // The assertion's `aud`: this server (its issuer) or the endpoint it is sent to.
            let issuer = state.issuer.issuer();
            let audiences = [
                issuer.to_owned(),
                format!("{issuer}/oauth/token"),
                format!("{issuer}{}", req.path()),
            ];
            state
                .authenticator
                .authenticate_assertion(&credentials.client_id, assertion, &audiences, source)
                .await
        }
    };
    let client = match authenticated {
        Ok(client) => client,
        Err(AuthFailure::Rejected) => {
            return Err(OAuthError::InvalidClient {
                basic: credentials.basic,
            });
        }
        Err(AuthFailure::Refused(reason)) => {
            return Err(OAuthError::ClientRefused {
                basic: credentials.basic,
                reason,
            });
        }
        Err(AuthFailure::RateLimited { retry_after }) => {
            let connection = state.tarpit.hold(retry_after, source).await;
            return Err(OAuthError::RateLimited {
                retry_after,
                close: connection == Connection::Close,
            });
        }
        Err(AuthFailure::Overloaded | AuthFailure::IssuerUnreachable) => {
            return Err(OAuthError::Unavailable);
        }
        Err(AuthFailure::Store(e)) => return Err(e.into()),
    };
    Ok(client)
}

/// The first step of introspection and revocation: the form, the calling client
/// authenticated, and the `token` parameter.
pub async fn authenticated_token_request(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<(AuthenticatedClient, String), OAuthError> {
    let form = Form::read(req, payload).await?;
    let caller = authenticate(req, &form, state).await?;
    let token = form
        .get("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))?;
    Ok((caller, token.to_owned()))
}

fn extract(req: &HttpRequest, form: &Form) -> Result<PresentedCredentials, OAuthError> {
    if form.get("client_assertion").is_some() || form.get("client_assertion_type").is_some() {
        return extract_assertion(req, form);
    }
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
            let (id, secret) = match decode_basic(value.to_str().unwrap_or("")) {
                Ok(credentials) => credentials,
                Err(BasicError::Malformed) => {
                    return Err(OAuthError::InvalidClient { basic: true });
                }
                Err(BasicError::BadEncoding) => {
                    return Err(OAuthError::InvalidRequest(
                        "the HTTP Basic credentials are not valid form-url-encoding".into(),
                    ));
                }
            };
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
    note_attempted_client(req, &raw_id);
    let client_id = ClientId::parse(&raw_id).map_err(|_| invalid())?;
    let secret = ClientSecret::parse(&raw_secret).map_err(|_| invalid())?;
    Ok(PresentedCredentials {
        client_id,
        proof: Proof::Secret(secret),
        basic,
    })
}

/// The client ID an attempt named, for its log line, whether or not it is well-formed: cut to
/// 64 characters, anything but `A-Z a-z 0-9 . _ : @ -` shown as `?` (no field of its own can
/// be forged into the line), and never a client secret sent in its place (a swapped pair, or
/// an API-key style `secret:`).
fn note_attempted_client(req: &HttpRequest, raw_id: &str) {
    let shown = if raw_id.starts_with("oas_") || ClientSecret::parse(raw_id).is_ok() {
        "(a client secret, not shown)".to_owned()
    } else {
        raw_id
            .chars()
            .take(64)
            .map(|c| match c {
                'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '_' | ':' | '@' | '-' => c,
                _ => '?',
            })
            .collect()
    };
    req.extensions_mut().insert(LoggedClient(shown));
}

/// `client_assertion_type` + `client_assertion`, alone: with a secret or HTTP Basic as well it
/// is two methods at once. The client is `client_id` if sent, else the assertion's `sub`.
fn extract_assertion(req: &HttpRequest, form: &Form) -> Result<PresentedCredentials, OAuthError> {
    if req.headers().contains_key(header::AUTHORIZATION) || form.get("client_secret").is_some() {
        return Err(OAuthError::InvalidRequest(
            "use one client authentication method: a client assertion, HTTP Basic or \
             client_secret, not two"
                .into(),
        ));
    }
    match form.get("client_assertion_type") {
        Some(JWT_BEARER) => {}
        Some(_) => {
            return Err(OAuthError::InvalidRequest(format!(
                "client_assertion_type must be {JWT_BEARER}"
            )));
        }
        None => {
            return Err(OAuthError::InvalidRequest(format!(
                "client_assertion needs client_assertion_type={JWT_BEARER}"
            )));
        }
    }
    let assertion = form
        .get("client_assertion")
        .ok_or_else(|| OAuthError::InvalidRequest("client_assertion is missing".into()))?;
    let invalid = || OAuthError::InvalidClient { basic: false };
    let (issuer, subject) = claimed_issuer_and_subject(assertion).ok_or_else(invalid)?;
    // The client's own assertion names it as the issuer; any other issuer's token is a
    // workload's, and then client_id says which client it asks to act as.
    let (raw_id, proof) = match form.get("client_id") {
        Some(id) if id != issuer => (
            id.to_owned(),
            Proof::Workload {
                token: assertion.to_owned(),
                issuer,
            },
        ),
        Some(id) => (id.to_owned(), Proof::Assertion(assertion.to_owned())),
        None => (subject, Proof::Assertion(assertion.to_owned())),
    };
    note_attempted_client(req, &raw_id);
    let client_id = ClientId::parse(&raw_id).map_err(|_| invalid())?;
    Ok(PresentedCredentials {
        client_id,
        proof,
        basic: false,
    })
}

#[derive(Debug, PartialEq, Eq)]
pub enum BasicError {
    /// Not `Basic`, not base64, or no `:`: no credentials at all.
    Malformed,
    /// A `%` not followed by two hex digits, or percent-decoding to invalid UTF-8.
    BadEncoding,
}

/// `Authorization: Basic …` → (client_id, secret), each form-url-decoded (RFC 6749 §2.3.1).
pub fn decode_basic(header: &str) -> Result<(String, String), BasicError> {
    let (scheme, encoded) = header.trim().split_once(' ').ok_or(BasicError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(BasicError::Malformed);
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|d| String::from_utf8(d).ok())
        .ok_or(BasicError::Malformed)?;
    let (id, secret) = decoded.split_once(':').ok_or(BasicError::Malformed)?;
    Ok((form_decode(id)?, form_decode(secret)?))
}

/// Strict `application/x-www-form-urlencoded` decoding of one component: `+` is a space, and
/// every `%` starts a two-digit hex escape.
fn form_decode(s: &str) -> Result<String, BasicError> {
    let bytes = s.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return Err(BasicError::BadEncoding);
    }
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| BasicError::BadEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_url_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%2Eclient:p%3Ass+word"));
        assert_eq!(
            decode_basic(&header),
            Ok(("my.client".into(), "p:ss word".into()))
        );
        assert_eq!(decode_basic("Bearer abc"), Err(BasicError::Malformed));
        assert_eq!(decode_basic("Basic !!!"), Err(BasicError::Malformed));
        let bad = format!("Basic {}", STANDARD.encode("client:%zz"));
        assert_eq!(decode_basic(&bad), Err(BasicError::BadEncoding));
        let truncated = format!("Basic {}", STANDARD.encode("client%2:secret"));
        assert_eq!(decode_basic(&truncated), Err(BasicError::BadEncoding));
    }
}
