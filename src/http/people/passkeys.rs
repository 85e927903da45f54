//! Passkey sign-in, adding a passkey, sign-out.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use super::{admit, same_site};
use crate::http::AppState;
use crate::http::admin::auth::{AdminPrincipal, request_origin};
use crate::http::admin::json as views_json;
use crate::http::admin::json::ApiJson;
use crate::http::admin::problem::ApiError;
use crate::http::session_cookie;
use crate::service::ServiceError;
use crate::service::people::passkeys::{SignInError, record_failed_sign_in};
use crate::service::people::sessions::{self, StartedSession};
use crate::store;

/// `PublicKeyCredentialRequestOptions` for a sign-in with any of this server's passkeys.
pub async fn sign_in_options(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    same_site(&state, &req)?;
    let rp = state.relying_party.clone();
    let options = store::run(&state.pool, move |conn| rp.sign_in_options(conn)).await?;
    Ok(no_store(HttpResponse::Ok()).json(options))
}

/// Checks the passkey's answer; `204` and a new session cookie, or `401`.
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<Value>,
) -> Result<HttpResponse, ApiError> {
    same_site(&state, &req)?;
    let attempt = admit(&state.people_limiter, &state, &req, "passkey-sign-in")?;
    let credential: PublicKeyCredential = views_json::credential(body.0)?;
    let origin = request_origin(&state, &req);
    let replacing = session_cookie::read(&req);
    let (rp, settings) = (state.relying_party.clone(), state.people.clone());
    let logged_origin = origin.clone();
    let outcome = store::run(&state.pool, move |conn| {
        match rp.sign_in(conn, &settings, &credential, &origin, replacing.as_ref()) {
            Ok(started) => Ok(Ok(started)),
            Err(SignInError::Refused(reason, user)) => {
                if let Some(user) = &user {
                    record_failed_sign_in(conn, user, reason, &origin)?;
                }
                Ok(Err((reason, user)))
            }
            Err(SignInError::Service(e)) => Err(e),
        }
    })
    .await;
    match outcome {
        Ok(Ok((started, _))) => {
            attempt.succeeded();
            Ok(with_session(&state, HttpResponse::NoContent(), &started))
        }
        Ok(Err((reason, user))) => {
            log::info!(
                address = logged_origin.address.as_deref().unwrap_or("-"),
                user = user.as_deref().unwrap_or("-");
                "passkey sign-in refused: {reason}"
            );
            Err(ApiError::Unauthorized(
                "the passkey was not accepted: use a passkey registered with this server".into(),
            ))
        }
        Err(e @ ServiceError::Invalid { .. }) => Err(e.into()),
        Err(e) => {
            attempt.not_checked();
            Err(e.into())
        }
    }
}

/// Options to add a passkey (signed in, recent sign-in required).
pub async fn register_options(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    same_site(&state, &req)?;
    let user = caller.person()?;
    let rp = state.relying_party.clone();
    let options = store::run(&state.pool, move |conn| rp.register_options(conn, &user)).await?;
    Ok(no_store(HttpResponse::Ok()).json(options))
}

/// Registers the new passkey: `201` with it. The body is the credential, with an optional
/// `name` beside its fields.
pub async fn register(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<Value>,
) -> Result<HttpResponse, ApiError> {
    same_site(&state, &req)?;
    let user = caller.person()?;
    let name = body
        .0
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let credential: RegisterPublicKeyCredential = views_json::credential(body.0)?;
    let rp = state.relying_party.clone();
    let row = store::run(&state.pool, move |conn| {
        rp.register(conn, &user, &credential, name.as_deref())
    })
    .await?;
    Ok(HttpResponse::Created().json(crate::http::admin::people_views::PasskeyView::from(row)))
}

/// Ends this browser's session and removes its cookie.
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    same_site(&state, &req)?;
    if let Some(cookie) = session_cookie::read(&req) {
        let origin = request_origin(&state, &req);
        let settings = state.people.clone();
        store::run(&state.pool, move |conn| {
            sessions::sign_out(conn, &settings, &cookie, &origin)
        })
        .await?;
    }
    let mut res = HttpResponse::NoContent();
    session_cookie::clear(&mut res);
    Ok(res.finish())
}

pub(super) fn no_store(mut res: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    res.insert_header(("Cache-Control", "no-store"));
    res
}

/// A `204` that sets the new session's cookie.
pub(super) fn with_session(
    state: &AppState,
    mut res: actix_web::HttpResponseBuilder,
    started: &StartedSession,
) -> HttpResponse {
    session_cookie::set(
        &mut res,
        &started.cookie,
        state.people.session_max.as_secs(),
    );
    no_store(res).finish()
}
