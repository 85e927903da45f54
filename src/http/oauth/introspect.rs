//! `POST /oauth/introspect` (RFC 7662).

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::client_authentication::authenticated_token_request;
use super::{OAuthError, no_store};
use crate::http::AppState;
use crate::service::introspection::{self, Introspector};
use crate::store;
use crate::token::Expiry;

/// Every token that is not active for this caller, garbage included, is `{"active": false}`
/// (`service::introspection` says which are).
pub async fn introspect(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let (caller, token) = authenticated_token_request(&req, payload, &state).await?;
    let claims = state.issuer.verify(&token, 0, Expiry::Enforce);
    let active = match claims {
        None => None,
        Some(claims) => {
            store::run(&state.pool, move |conn| {
                let caller = Introspector {
                    org_id: caller.org_id(),
                    roles: caller.roles(),
                };
                introspection::introspect(conn, &caller, claims)
            })
            .await?
        }
    };
    let Some(claims) = active else {
        return Ok(no_store().json(json!({"active": false})));
    };
    Ok(no_store().json(json!({
        "active": true,
        "scope": claims.scope,
        "client_id": claims.client_id,
        "sub": claims.sub,
        "aud": claims.aud,
        "iss": claims.iss,
        "exp": claims.exp,
        "iat": claims.iat,
        "nbf": claims.nbf,
        "jti": claims.jti,
        "token_type": "Bearer",
        "org_id": claims.org_id,
        "roles": claims.roles,
    })))
}
