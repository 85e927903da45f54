//! The signing keys, for platform admins: the list as the servers see it, and pulling a key
//! now (a compromise).

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::AdminPrincipal;
use super::problem::ApiError;
use super::responses::{CommonProblems, NotFoundProblem};
use super::run;
use crate::http::AppState;
use crate::service::signing_keys::{self, KeyStatus};
use crate::store::signing_keys::StoredKey;

/// A signing key: never its private part.
#[derive(Serialize, ToSchema)]
pub struct SigningKeyView {
    #[schema(example = "0b9f3c1e8a7d4b2c")]
    pub kid: String,
    #[schema(example = "ES256")]
    pub alg: String,
    /// `next` (published, not signing yet), `active` (signing) or `retired` (published until
    /// the tokens it signed have expired).
    #[schema(example = "active")]
    pub state: String,
    #[schema(example = "2026-12-01T09:00:00Z")]
    pub created_at: DateTime<Utc>,
    #[schema(example = "2026-12-01T09:00:00Z")]
    pub activates_at: DateTime<Utc>,
    /// When a retired key stops being published.
    #[schema(example = json!(null))]
    pub retires_at: Option<DateTime<Utc>>,
}

impl From<KeyStatus> for SigningKeyView {
    fn from(k: KeyStatus) -> Self {
        Self {
            kid: k.kid,
            alg: k.alg,
            state: k.state.as_str().to_owned(),
            created_at: k.created_at.and_utc(),
            activates_at: k.activates_at.and_utc(),
            retires_at: k.retires_at.map(|t| t.and_utc()),
        }
    }
}

/// What revoking a key did.
#[derive(Serialize, ToSchema)]
pub struct RevokedKeyView {
    /// The key pulled: gone from the JWKS of every instance within a second; every token it
    /// signed is inactive at introspection and has its status bit set.
    #[schema(example = "0b9f3c1e8a7d4b2c")]
    pub revoked_kid: String,
    /// The key that signs from now on, when the revoked one was signing.
    #[schema(example = "7d1e5a9b3c2f4e6a")]
    pub replacement_kid: Option<String>,
}

impl RevokedKeyView {
    pub fn new(kid: String, replacement: Option<&StoredKey>) -> Self {
        Self {
            revoked_kid: kid,
            replacement_kid: replacement.map(|k| k.kid.clone()),
        }
    }
}

/// Every signing key with its state (platform:admin).
#[utoipa::path(
    tag = "keys",
    responses((status = 200, body = [SigningKeyView]), CommonProblems)
)]
#[get("/keys")]
pub async fn list_keys(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let ttl = state.issuer.ttl();
    let keys = run(&state, move |conn| {
        if !actor.is_platform_admin() {
            return Err(crate::service::ServiceError::Forbidden(
                "signing keys are managed by platform:admin".into(),
            ));
        }
        signing_keys::list(conn, ttl)
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        keys.into_iter()
            .map(SigningKeyView::from)
            .collect::<Vec<_>>(),
    ))
}

/// Pulls a signing key now, after a compromise (platform:admin; recent sign-in; audited). A
/// new key signs at once when it was the signing one.
#[utoipa::path(
    tag = "keys",
    params(("kid" = String, Path, description = "The key's ID")),
    responses((status = 200, body = RevokedKeyView), CommonProblems, NotFoundProblem)
)]
#[post("/keys/{kid}/revoke")]
pub async fn revoke_key(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    kid: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let kid = kid.into_inner();
    let kek = state.kek.clone();
    let (alg, ttl) = (state.keys.alg, state.issuer.ttl());
    let revoked = run(&state, move |conn| {
        signing_keys::revoke(conn, &kek, &actor, &kid, alg, ttl)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RevokedKeyView::new(
        revoked.kid,
        revoked.replacement.as_ref(),
    )))
}
