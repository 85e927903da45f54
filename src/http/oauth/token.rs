use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::OAuthError;
use super::client_credentials;
use super::form::Form;
use crate::domain::Scope;
use crate::http::AppState;
use crate::metrics::METRICS;

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
    scope: &'a str,
}

/// `POST /oauth/token`, client credentials grant. Checks run cheapest first: the request's
/// shape, grant type and audience before the client's credentials (argon2), the scope after.
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
    match form.get("grant_type") {
        None => return Err(OAuthError::InvalidRequest("grant_type is required".into())),
        Some("client_credentials") => {}
        Some(_) => return Err(OAuthError::UnsupportedGrantType),
    }
    let audience = requested_audience(&form, &state.audiences, state.issuer.issuer())?;
    let scope = match form.get("scope") {
        Some(s) => Some(Scope::parse(s).map_err(|e| OAuthError::InvalidScope(e.0))?),
        None => None,
    };
    let client = client_credentials::authenticate(req, &form, state).await?;

    let narrowed: Vec<String>;
    let granted: &[String] = match scope.filter(|s| !s.is_empty()) {
        None => client.roles(),
        Some(scope) => {
            let mut roles = Vec::with_capacity(scope.roles().len());
            for role in scope.roles() {
                if !client.roles().iter().any(|r| r == role.as_str()) {
                    return Err(OAuthError::InvalidScope(format!(
                        "the client does not hold the role {role}"
                    )));
                }
                roles.push(role.as_str().to_owned());
            }
            narrowed = roles;
            &narrowed
        }
    };

    if let Some(wait) = client.token_wait() {
        tokio::time::sleep(wait).await;
    }
    let issued = state
        .issuer
        .issue(client.id(), client.org_id(), audience, granted);
    state.last_used.record(client.id());
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token: &issued.access_token,
            token_type: "Bearer",
            expires_in: issued.expires_in,
            scope: &issued.scope,
        }))
}

/// `audience` (Auth0 style) or `resource` (RFC 8707): a configured audience or the issuer
/// itself (the admin API's audience), which every client may always ask for.
fn requested_audience<'a>(
    form: &'a Form,
    audiences: &'a [String],
    issuer: &'a str,
) -> Result<&'a str, OAuthError> {
    let allowed = |a: &str| a == issuer || audiences.iter().any(|x| x == a);
    let requested = match (form.get("audience"), form.get("resource")) {
        (Some(a), Some(r)) if a != r => {
            return Err(OAuthError::InvalidRequest(
                "audience and resource name different targets; send one".into(),
            ));
        }
        (Some(a), _) | (None, Some(a)) => Some(a),
        (None, None) => None,
    };
    match requested {
        None => Ok(audiences.first().map_or(issuer, String::as_str)),
        Some(a) if allowed(a) => Ok(a),
        Some(a) => Err(OAuthError::InvalidTarget(format!(
            "{a:?} is not an audience of this server"
        ))),
    }
}
