//! The bearer-token check of every `/admin/v1` request: our own access token, verified with
//! the key its `kid` names and that key's algorithm only (never the token's `alg` alone), our
//! issuer, `exp`/`nbf` with a small leeway, `typ: at+jwt`; then the calling client must still
//! exist, so a deleted admin loses access at once. Its powers are the roles both the token
//! and its current record grant: removing a role takes effect without waiting for expiry.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use jsonwebtoken::Validation;

use super::problem::ApiError;
use crate::client_auth::blocking;
use crate::domain::{ORG_ADMIN, PLATFORM_ADMIN};
use crate::http::AppState;
use crate::service::{Actor, Caller};
use crate::store;
use crate::token::AccessTokenClaims;

/// Seconds of clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 30;

/// An authenticated caller holding `org:admin` or `platform:admin`.
pub struct AdminCaller(pub Caller);

impl AdminCaller {
    pub fn actor(&self) -> Actor {
        Actor::Client(self.0.clone())
    }
}

impl FromRequest for AdminCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or(ApiError::Internal)?
                .clone();
            let token = bearer_token(&req)?;
            let claims = verify(&state, token)?;

            let pool = state.pool.clone();
            let client_id = claims.client_id.clone();
            let current = blocking(move || {
                let mut conn = pool.get()?;
                Ok(store::clients::find_credentials(&mut conn, &client_id)?)
            })
            .await?
            .ok_or_else(|| {
                ApiError::Unauthorized("the client of this token no longer exists".into())
            })?;

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
            Ok(Self(Caller {
                client_id: current.id,
                org_id: current.org_id,
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

fn verify(state: &AppState, token: &str) -> Result<AccessTokenClaims, ApiError> {
    let invalid = || ApiError::Unauthorized("the access token is invalid or expired".into());
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
    if header.typ.as_deref() != Some("at+jwt") {
        return Err(invalid());
    }
    let key = header
        .kid
        .as_deref()
        .and_then(|kid| state.issuer.keys().find(kid))
        .ok_or_else(invalid)?;
    let alg = key.alg.jwt_algorithm();
    if header.alg != alg {
        return Err(invalid());
    }
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[state.issuer.issuer()]);
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECONDS;
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "sub"]);
    jsonwebtoken::decode::<AccessTokenClaims>(token, key.decoding_key(), &validation)
        .map(|data| data.claims)
        .map_err(|_| invalid())
}
