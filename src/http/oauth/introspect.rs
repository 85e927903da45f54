//! Token introspection (RFC 7662) and revocation (RFC 7009). Both need an authenticated client.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::OAuthError;
use super::client_credentials;
use super::form::Form;
use crate::domain::PLATFORM_ADMIN;
use crate::http::AppState;
use crate::store::{self, StoreError};
use crate::token::Expiry;

/// `POST /oauth/introspect`. Active only for an unexpired, unrevoked token signed by one of
/// our keys whose client still exists and has not had its tokens revoked since, and only to a
/// caller of the token's organization (or a platform admin); every other token, garbage
/// included, is `{"active": false}`. The roles and scope reported are those the token carries
/// *and* the client still holds.
pub async fn introspect(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let form = Form::read(&req, payload).await?;
    let caller = client_credentials::authenticate(&req, &form, &state).await?;
    let token = required_token(&form)?;

    let inactive = || Ok(no_store().json(json!({"active": false})));
    let Some(claims) = state
        .issuer
        .keys()
        .verify(token, state.issuer.issuer(), 0, Expiry::Enforce)
    else {
        return inactive();
    };
    let visible =
        caller.org_id() == claims.org_id || caller.roles().iter().any(|r| r == PLATFORM_ADMIN);
    if !visible {
        return inactive();
    }
    let (jti, client_id) = (claims.jti.clone(), claims.client_id.clone());
    let (revoked, current) = store::run(&state.pool, move |conn| {
        let revoked = store::revocations::is_revoked(conn, &jti)?;
        let current = store::clients::find_credentials(conn, &client_id)?;
        Ok::<_, StoreError>((revoked, current))
    })
    .await?;
    // The answer is about the client as it is now: gone, or its tokens revoked, is inactive;
    // a role it has lost since the token was issued is no longer reported.
    let Some(current) = current.filter(|c| !revoked && !c.revokes_token_issued_at(claims.iat))
    else {
        return inactive();
    };
    let roles: Vec<&String> = claims
        .roles
        .iter()
        .filter(|r| current.roles.contains(r))
        .collect();
    let scope = claims
        .scope
        .split(' ')
        .filter(|s| current.roles.iter().any(|r| r == s))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(no_store().json(json!({
        "active": true,
        "scope": scope,
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
        "roles": roles,
    })))
}

/// `POST /oauth/revoke`. A client revokes tokens issued to it; any other token (unknown,
/// foreign, garbage) is left alone. `token_type_hint` is accepted and not trusted. Always 200
/// for a well-formed, authenticated request.
pub async fn revoke(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let form = Form::read(&req, payload).await?;
    let caller = client_credentials::authenticate(&req, &form, &state).await?;
    let token = required_token(&form)?;

    let claims = state
        .issuer
        .keys()
        .verify(token, state.issuer.issuer(), 0, Expiry::Ignore)
        .filter(|c| c.client_id == caller.id());
    let now = store::now();
    if let Some(claims) = claims {
        let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0).map(|t| t.naive_utc());
        if let Some(expires_at) = expires_at.filter(|exp| *exp > now) {
            store::run(&state.pool, move |conn| {
                store::revocations::revoke(conn, &claims.jti, &claims.client_id, expires_at, now)
                    .map_err(StoreError::Query)
            })
            .await?;
        }
    }
    Ok(no_store().finish())
}

fn required_token(form: &Form) -> Result<&str, OAuthError> {
    form.get("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))
}

fn no_store() -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Ok();
    res.insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((header::PRAGMA, "no-cache"));
    res
}
