//! The bearer-token check of every `/admin/v1` request: our own, unrevoked access token
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
use crate::http::{AppState, LoggedClient};
use crate::service::introspection::{self, Standing};
use crate::service::{ClientPrincipal, Principal};
use crate::store;
use crate::token::Expiry;

/// Seconds of clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 30;

/// An authenticated caller holding `org:admin` or `platform:admin`.
pub struct AdminPrincipal(pub ClientPrincipal);

impl AdminPrincipal {
    pub fn actor(&self) -> Principal {
        Principal::Client(self.0.clone())
    }
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
            Ok(Self(ClientPrincipal {
                client_id: current.id.clone(),
                org_id: current.org_id.clone(),
                roles,
            }))
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("an Authorization: Bearer token is required".into()))?
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
