//! The invitation page's calls: what the invitation offers, the first passkey of a new
//! person, or joining as someone already signed in.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use webauthn_rs::prelude::RegisterPublicKeyCredential;

use super::passkeys::{no_store, with_session};
use super::{admit, same_site};
use crate::domain::BearerSecret;
use crate::http::AppState;
use crate::http::admin::auth::{AdminPrincipal, request_origin};
use crate::http::admin::json as views_json;
use crate::http::admin::json::ApiJson;
use crate::http::admin::problem::ApiError;
use crate::http::session_cookie;
use crate::service::ServiceError;
use crate::service::people::{invitations, passkeys};
use crate::store;

/// The token of `/auth/invitations/{token}`: base62, at most 128 characters; anything else
/// is simply not found.
fn token(path: web::Path<String>) -> Result<BearerSecret, ApiError> {
    let token = path.into_inner();
    if token.is_empty() || token.len() > 128 || !token.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(not_found());
    }
    Ok(BearerSecret::presented(&token))
}

fn not_found() -> ApiError {
    ApiError::NotFound("this invitation is unknown, used, revoked or expired".into())
}

fn counted<T>(result: Result<T, ServiceError>) -> Result<T, ApiError> {
    result.map_err(|e| match e {
        ServiceError::NotFound(_) => not_found(),
        e => e.into(),
    })
}

/// What the invitation offers: `{organization_name, email, role, expires_at, methods}`.
pub async fn offer(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let attempt = admit(&state.people_limiter, &state, &req, "invitation")?;
    let token = token(path)?;
    let offer =
        counted(store::run(&state.pool, move |conn| invitations::offer(conn, &token)).await)?;
    attempt.succeeded();
    Ok(no_store(HttpResponse::Ok()).json(json!({
        "organization_name": offer.organization_name,
        "email": offer.email,
        "role": offer.role,
        "expires_at": offer.expires_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "methods": ["passkey"],
    })))
}

/// Options to register the invited person's first passkey; the body may name them
/// (`{"name": "Ada Lovelace"}`).
pub async fn passkey_options(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    same_site(&state, &req)?;
    let attempt = admit(&state.people_limiter, &state, &req, "invitation")?;
    let token = token(path)?;
    let body: Value = ApiJson::<Value>::parse_optional(&req, &body)?;
    let name = body.get("name").and_then(Value::as_str).map(str::to_owned);
    let rp = state.relying_party.clone();
    let options = counted(
        store::run(&state.pool, move |conn| {
            rp.invitation_options(conn, &token, name.as_deref())
        })
        .await,
    )?;
    attempt.succeeded();
    Ok(no_store(HttpResponse::Ok()).json(options))
}

/// Registers the first passkey and accepts the invitation: `204` and a session.
pub async fn accept_with_passkey(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: ApiJson<Value>,
) -> Result<HttpResponse, ApiError> {
    same_site(&state, &req)?;
    let attempt = admit(&state.people_limiter, &state, &req, "invitation")?;
    let token = token(path)?;
    let credential: RegisterPublicKeyCredential = views_json::credential(body.0)?;
    let origin = request_origin(&state, &req);
    let replacing = session_cookie::read(&req);
    let (rp, settings) = (state.relying_party.clone(), state.people.clone());
    let (started, _) = counted(
        store::run(&state.pool, move |conn| {
            rp.accept_invitation(
                conn,
                &settings,
                &token,
                &credential,
                &origin,
                replacing.as_ref(),
            )
        })
        .await,
    )?;
    attempt.succeeded();
    Ok(with_session(&state, HttpResponse::NoContent(), &started))
}

/// Someone signed in joins with the invitation for their own e-mail address.
pub async fn accept_signed_in(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    same_site(&state, &req)?;
    let attempt = admit(&state.people_limiter, &state, &req, "invitation")?;
    let user = caller.person()?;
    let token = token(path)?;
    counted(
        store::run(&state.pool, move |conn| {
            passkeys::accept_invitation_as(conn, &user, &token)
        })
        .await,
    )?;
    attempt.succeeded();
    Ok(HttpResponse::NoContent().finish())
}
