//! `POST /oauth/token`, the client credentials grant: parse → authenticate → grant → respond.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::form::Form;
use super::{OAuthError, client_authentication, no_store};
use crate::domain::Scope;
use crate::http::AppState;
use crate::metrics::METRICS;
use crate::token::granted_roles;

/// What a token request asks for, parsed from the form before any credential is checked.
pub struct TokenRequest<'a> {
    /// `audience` (Auth0 style) or `resource` (RFC 8707).
    pub audience: Option<&'a str>,
    pub scope: Option<Scope>,
}

impl<'a> TokenRequest<'a> {
    pub fn from_form(form: &'a Form) -> Result<Self, OAuthError> {
        match form.get("grant_type") {
            None => return Err(OAuthError::InvalidRequest("grant_type is required".into())),
            Some("client_credentials") => {}
            Some(_) => return Err(OAuthError::UnsupportedGrantType),
        }
        let audience = match (form.get("audience"), form.get("resource")) {
            (Some(a), Some(r)) if a != r => {
                return Err(OAuthError::InvalidRequest(
                    "audience and resource name different targets; send one".into(),
                ));
            }
            (Some(a), _) | (None, Some(a)) => Some(a),
            (None, None) => None,
        };
        let scope = form
            .get("scope")
            .map(Scope::parse)
            .transpose()
            .map_err(|e| OAuthError::InvalidScope(e.0))?;
        Ok(Self { audience, scope })
    }
}

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
    scope: &'a str,
}

/// Checks run cheapest first: the request's shape, grant type and audience before the
/// client's credentials (argon2), the scope after.
pub async fn token(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let result = issue(&req, payload, &state).await;
    let outcome = match &result {
        Ok(_) => "issued",
        Err(e) => e.outcome(),
    };
    METRICS.token_requests.with_label_values(&[outcome]).inc();
    result
}

async fn issue(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, OAuthError> {
    let form = Form::read(req, payload).await?;
    let request = TokenRequest::from_form(&form)?;
    let audience = state.audiences.resolve(request.audience)?;
    let client = client_authentication::authenticate(req, &form, state).await?;
    let roles = granted_roles(client.roles(), request.scope.as_ref())?;

    if let Some(wait) = client.token_wait() {
        tokio::time::sleep(wait).await;
    }
    // Every token names its bit in a status list (SPEC §11): an index from the range in hand,
    // or, once a range is used up, a new range leased first.
    let lists = &state.status_lists;
    if lists.overloaded() {
        return Err(OAuthError::Unavailable);
    }
    let stamp = |iat: i64, kid: &str| lists.allocate(client.id(), &roles, iat, kid);
    let issued = loop {
        if let Some(issued) = state.issuer.issue_for(
            client.id(),
            client.org_id(),
            audience,
            &roles,
            client.token_ttl(),
            Some(&stamp),
        ) {
            break issued;
        }
        lists.lease().await.map_err(|e| {
            log::warn!("no status list index could be leased: {e}");
            OAuthError::Unavailable
        })?;
    };
    state.last_used.record(client.id());
    Ok(no_store().json(TokenResponse {
        access_token: &issued.access_token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: &issued.scope,
    }))
}
