//! `/auth`: how people sign in and out: passkey sign-in, the invitation page's calls, adding
//! a passkey, sign-out. Sign-ins set the session cookie; everything else about people is
//! under `/admin/v1` (`me`, members, invitations).
//!
//! Every `POST` here refuses a browser request from another site (`Sec-Fetch-Site`, `Origin`),
//! which keeps a cross-site page from signing a browser into the attacker's account (login
//! CSRF). Failures count against the caller's address like failed client authentications
//! (no lockout lever: a person's own address is never blocked by someone else's failures).

mod invitations;
mod passkeys;
pub mod sso;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use super::admin::problem::{self, ApiError};
use crate::client_auth::FailureLimiter;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/auth")
            .wrap(
                actix_web::middleware::ErrorHandlers::new()
                    .default_handler(problem::ensure_problem),
            )
            .route(
                "/passkeys/sign-in/options",
                web::post().to(passkeys::sign_in_options),
            )
            .route("/passkeys/sign-in", web::post().to(passkeys::sign_in))
            .route(
                "/passkeys/register/options",
                web::post().to(passkeys::register_options),
            )
            .route("/passkeys/register", web::post().to(passkeys::register))
            .route("/sign-out", web::post().to(passkeys::sign_out))
            .route("/discover", web::post().to(sso::discover))
            .route("/sso/{org_id}/start", web::get().to(sso::start))
            .route("/sso/callback", web::get().to(sso::callback))
            .route("/invitations/{token}", web::get().to(invitations::offer))
            .route(
                "/invitations/{token}/passkey/options",
                web::post().to(invitations::passkey_options),
            )
            .route(
                "/invitations/{token}/passkey",
                web::post().to(invitations::accept_with_passkey),
            )
            .route(
                "/invitations/{token}/accept",
                web::post().to(invitations::accept_signed_in),
            )
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::NotFound("no such resource".into()))
            })),
    );
}

/// Refuses a browser's cross-site request: `Sec-Fetch-Site` other than `same-origin` (or
/// `none`, a typed URL), or an `Origin` other than the console's or the issuer's.
fn same_site(state: &AppState, req: &HttpRequest) -> Result<(), ApiError> {
    let refused =
        || ApiError::Forbidden("sign-in requests must come from the console's own origin".into());
    if let Some(site) = req.headers().get("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return Err(refused());
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().map_err(|_| refused())?;
        let issuer_origin = url::Url::parse(state.issuer.issuer())
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        if origin != state.relying_party.console_origin() && origin != issuer_origin {
            return Err(refused());
        }
    }
    Ok(())
}

/// Admits an attempt from this address, or `429` while it has failed too often.
fn admit<'a>(
    limiter: &'a FailureLimiter,
    state: &AppState,
    req: &HttpRequest,
    endpoint: &str,
) -> Result<crate::client_auth::Attempt<'a>, ApiError> {
    limiter
        .begin_cheap(endpoint, state.source_address(req))
        .map_err(|wait| ApiError::TooManyRequests(wait.as_secs().max(1)))
}
