//! `POST /oauth/introspect` (RFC 7662).

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::client_authentication::authenticated_token_request;
use super::{OAuthError, no_store};
use crate::http::AppState;
use crate::service::introspection::{self, Introspector};
use crate::token::{AccessTokenClaims, Expiry};

/// Every token that is not active for this caller, garbage included, is `{"active": false}`
/// (`service::introspection` says which are). A known token of a known client costs no
/// database round trip and no signature check: the signature was checked the first time
/// (`token::verified_tokens`), revocations and the client come from memory under the
/// change rules of the token path (`revoked_tokens`, `client_auth`).
pub async fn introspect(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let (caller, token) = authenticated_token_request(&req, payload, &state).await?;
    let caller = Introspector {
        org_id: caller.org_id(),
        roles: caller.roles(),
    };
    let active = match state.issuer.verify(&token, 0, Expiry::Enforce) {
        Some(claims) if introspection::visible(&caller, &claims) => {
            let standing = standing(&state, &claims).await?;
            introspection::introspect(&caller, claims, standing)
        }
        _ => None,
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

async fn standing(
    state: &AppState,
    claims: &AccessTokenClaims,
) -> Result<introspection::Standing, OAuthError> {
    if state.revoked_tokens.is_revoked(&claims.jti).await? {
        return Ok(introspection::Standing::Revoked);
    }
    let client = state.authenticator.client(&claims.client_id).await?;
    Ok(introspection::judge(claims, false, client))
}
