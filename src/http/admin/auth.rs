//! Who calls `/admin/v1`: an admin client with a Bearer token, or a person with the session
//! cookie. Both become a `Principal`, and every route applies the same rules to both.
//!
//! A session is read from the database at each request (`service::people::sessions`). A
//! cookie-authenticated request that changes anything must carry `X-CSRF-Token` equal to the
//! session's token and, when the browser sends `Sec-Fetch-Site`, come from the same origin:
//! a cross-site page can make the browser send the cookie, never read the token.
//!
//! The bearer-token check: our own, unrevoked access token
//! (`KeySet::verify`: kid-selected key, that key's algorithm, our issuer, `exp`/`nbf` with a
//! small leeway, `typ: at+jwt`) whose `aud` is the issuer itself; then the calling client must
//! still exist and must not have had its tokens revoked, so a deleted admin loses access at
//! once. Its powers are the roles both the token and its current record grant:
//! removing a role takes effect without waiting for the token to expire.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::problem::ApiError;
use crate::domain::{ORG_ADMIN, PLATFORM_ADMIN};
use crate::http::{AppState, LoggedClient, session_cookie};
use crate::service::introspection::{self, Standing};
use crate::service::people::RequestOrigin;
use crate::service::people::sessions;
use crate::service::{ClientPrincipal, Principal, UserPrincipal};
use crate::store;
use crate::token::Expiry;

/// Seconds of clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 30;

pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated caller: a client holding `org:admin` or `platform:admin`, or a person
/// signed in (whose memberships decide what each route allows).
pub struct AdminPrincipal(pub Principal);

impl AdminPrincipal {
    pub fn actor(&self) -> Principal {
        self.0.clone()
    }

    /// The person, for the routes about oneself (`/me/...`).
    pub fn person(&self) -> Result<UserPrincipal, ApiError> {
        match &self.0 {
            Principal::User(u) => Ok(u.clone()),
            _ => Err(ApiError::Forbidden(
                "this route is for people signed in with a session, not clients".into(),
            )),
        }
    }
}

/// The request's origin, for sessions and the audit log.
pub fn request_origin(state: &AppState, req: &HttpRequest) -> RequestOrigin {
    RequestOrigin::new(
        state.source_address(req).map(|a| a.to_string()),
        req.headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The session's person, with the CSRF rules for changes.
async fn person(state: &AppState, req: &HttpRequest) -> Result<UserPrincipal, ApiError> {
    let cookie = session_cookie::read(req).ok_or_else(|| {
        ApiError::Unauthorized("an Authorization: Bearer token or a session is required".into())
    })?;
    let origin = request_origin(state, req);
    let settings = state.people.clone();
    let found = store::run(&state.pool, move |conn| {
        sessions::authenticate(conn, &settings, &cookie, &origin)
    })
    .await?;
    let Some((user, session)) = found else {
        return Err(ApiError::Unauthorized(
            "the session has ended or expired: sign in again".into(),
        ));
    };
    if !req.method().is_safe() {
        let site = req.headers().get("sec-fetch-site").map(|v| v.as_bytes());
        if site.is_some_and(|s| s != b"same-origin") {
            return Err(ApiError::Forbidden(
                "a change with a session must come from the console's own origin".into(),
            ));
        }
        let presented = req
            .headers()
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !constant_time_eq(presented, session.csrf_token.as_bytes()) {
            return Err(ApiError::Forbidden(
                "a change with a session needs the X-CSRF-Token header (csrf_token of GET \
                 /admin/v1/me)"
                    .into(),
            ));
        }
    }
    req.extensions_mut()
        .insert(LoggedClient(user.user_id.clone()));
    Ok(user)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

impl FromRequest for AdminPrincipal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or(ApiError::Internal)?
                .clone();
            if req.headers().get(header::AUTHORIZATION).is_none()
                && session_cookie::read(&req).is_some()
            {
                return Ok(Self(Principal::User(person(&state, &req).await?)));
            }
            let invalid =
                || ApiError::Unauthorized("the access token is invalid or expired".into());
            let claims = state
                .issuer
                .verify(bearer_token(&req)?, LEEWAY_SECONDS, Expiry::Enforce)
                .ok_or_else(invalid)?;
            // The admin API is its own audience: a token minted for a downstream API (which
            // that API's operators may see or log) must not open it.
            if claims.aud != state.issuer.issuer() {
                return Err(ApiError::Unauthorized(format!(
                    "the access token was issued for another audience; request one with \
                     audience={}",
                    state.issuer.issuer()
                )));
            }

            let (claims, standing) = store::run(&state.pool, move |conn| {
                introspection::standing(conn, &claims).map(|s| (claims, s))
            })
            .await?;
            let current = match standing {
                Standing::Live(current) => current,
                Standing::Revoked => {
                    return Err(ApiError::Unauthorized(
                        "the access token has been revoked".into(),
                    ));
                }
                Standing::ClientGone => {
                    return Err(ApiError::Unauthorized(
                        "the client of this token no longer exists".into(),
                    ));
                }
            };
            req.extensions_mut()
                .insert(LoggedClient(current.id.clone()));

            let roles: Vec<String> = claims
                .roles
                .into_iter()
                .filter(|r| current.roles.contains(r))
                .collect();
            if !roles.iter().any(|r| r == ORG_ADMIN || r == PLATFORM_ADMIN) {
                return Err(ApiError::Forbidden(
                    "the admin API needs a token with org:admin or platform:admin".into(),
                ));
            }
            Ok(Self(Principal::Client(ClientPrincipal {
                client_id: current.id.clone(),
                org_id: current.org_id.clone(),
                roles,
                address: state.source_address(&req).map(|a| a.to_string()),
            })))
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::Unauthorized("an Authorization: Bearer token or a session is required".into())
        })?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(ApiError::Unauthorized(
            "the Authorization header must be Bearer <access token>".into(),
        )),
    }
}
