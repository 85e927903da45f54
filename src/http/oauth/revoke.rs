//! `POST /oauth/revoke` (RFC 7009).

use actix_web::{HttpRequest, HttpResponse, web};

use super::client_authentication::authenticated_token_request;
use super::{OAuthError, no_store};
use crate::http::AppState;
use crate::store::{self, StoreError};
use crate::token::Expiry;

/// A client revokes tokens issued to it; any other token (unknown, foreign, garbage) is left
/// alone. `token_type_hint` is accepted and not trusted. Always 200 for a well-formed,
/// authenticated request.
pub async fn revoke(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let (caller, token) = authenticated_token_request(&req, payload, &state).await?;
    let claims = state
        .issuer
        .verify(&token, 0, Expiry::Ignore)
        .filter(|c| c.client_id == caller.id());
    let now = store::now();
    if let Some(claims) = claims {
        let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0).map(|t| t.naive_utc());
        // A token a check could still accept within its leeway is worth recording.
        let kept_from = now - store::revocations::KEPT_PAST_EXPIRY;
        if let Some(expires_at) = expires_at.filter(|exp| *exp > kept_from) {
            let jti = claims.jti.clone();
            // Its bit in its status list follows.
            let status = claims.status.as_ref().and_then(|s| {
                Some((
                    state.status_lists.list_of(&s.status_list.uri)?,
                    s.status_list.idx,
                ))
            });
            store::run(&state.pool, move |conn| {
                store::revocations::revoke(
                    conn,
                    &claims.jti,
                    &claims.client_id,
                    expires_at,
                    now,
                    status,
                )
                .map_err(StoreError::Query)
            })
            .await?;
            state
                .revoked_tokens
                .add(&jti, expires_at.and_utc().timestamp());
        }
    }
    Ok(no_store().finish())
}
