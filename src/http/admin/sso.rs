//! An organization's single sign-on connection and e-mail domains (SPEC §10).

use actix_web::{HttpResponse, delete, get, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::AdminPrincipal;
use super::json::ApiJson;
use super::paths::{OrgPath, invalid};
use super::problem::ApiError;
use super::responses::{BodyProblems, CommonProblems, ConflictProblem, NotFoundProblem};
use super::run;
use crate::domain::MembershipRole;
use crate::http::AppState;
use crate::service::sso::{self, Connection, ConnectionChange};

/// The organization's IdP connection (never its client secret).
#[derive(Serialize, ToSchema)]
pub struct SsoConnectionView {
    #[schema(example = "https://login.acme.example")]
    pub issuer: String,
    #[schema(example = "orgauth-console")]
    pub client_id: String,
    /// The secret is write-only: this says only that one is stored.
    #[schema(example = true)]
    pub client_secret_set: bool,
    /// Members act in this organization only in sessions signed in through its IdP.
    #[schema(example = false)]
    pub require_sso: bool,
    /// The role of someone who joins by a verified e-mail of one of `domains`; null: nobody
    /// joins that way.
    #[schema(example = "org:viewer")]
    pub jit_role: Option<String>,
    /// The e-mail domains assigned to the organization (by a platform admin).
    #[schema(example = json!(["acme.example"]))]
    pub domains: Vec<String>,
    /// Register this redirect URI for the client at the IdP.
    #[schema(example = "https://auth.example.com/auth/sso/callback")]
    pub redirect_uri: String,
    #[schema(example = "2026-12-06T09:30:00Z")]
    pub created_at: DateTime<Utc>,
    #[schema(example = "2026-12-06T09:30:00Z")]
    pub updated_at: DateTime<Utc>,
}

impl SsoConnectionView {
    fn of(found: Connection, console_origin: &str) -> Self {
        let c = found.connection;
        Self {
            issuer: c.issuer,
            client_id: c.client_id,
            client_secret_set: !c.sealed_client_secret.is_empty(),
            require_sso: c.require_sso,
            jit_role: c.jit_role,
            domains: found.domains,
            redirect_uri: format!("{console_origin}/auth/sso/callback"),
            created_at: c.created_at.and_utc(),
            updated_at: c.updated_at.and_utc(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSsoRequest {
    /// The IdP's issuer (its discovery document is fetched and checked).
    #[schema(example = "https://login.acme.example")]
    pub issuer: String,
    #[schema(example = "orgauth-console")]
    pub client_id: String,
    /// Write-only; required the first time, kept when omitted afterwards.
    #[schema(example = "s3cr3t-from-the-idp")]
    pub client_secret: Option<String>,
    #[schema(example = false)]
    pub require_sso: Option<bool>,
    /// `org:admin`, `org:viewer`, or null.
    #[serde(default, deserialize_with = "super::views::present")]
    #[schema(example = "org:viewer", value_type = Option<String>)]
    pub jit_role: Option<Option<String>>,
}

/// Connects (or reconnects) the organization's OpenID Connect IdP (its admins; recent sign-in).
#[utoipa::path(
    tag = "sso",
    params(OrgPath),
    request_body = PutSsoRequest,
    responses((status = 200, body = SsoConnectionView), CommonProblems, NotFoundProblem, BodyProblems)
)]
#[put("/organizations/{org_id}/sso")]
pub async fn put_sso(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<OrgPath>,
    body: ApiJson<PutSsoRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let org_id = path.into_inner().parse()?;
    let body = body.0;
    let issuer = crate::domain::trust_policy::fetchable_url(body.issuer.trim())
        .map_err(invalid("issuer"))?
        .trim_end_matches('/')
        .to_owned();
    let jit_role = match body.jit_role {
        None => None,
        Some(None) => Some(None),
        Some(Some(role)) => Some(Some(
            MembershipRole::parse(&role).map_err(invalid("jit_role"))?,
        )),
    };
    // Only a permitted viewer of the organization learns anything about a URL.
    let check_actor = actor.clone();
    let check_org = org_id.clone();
    run(&state, move |conn| {
        crate::service::access::find_managed(conn, &check_actor, &check_org).map(drop)
    })
    .await?;
    super::clients::check_remote_url(&state, "issuer", &issuer).await?;
    state
        .authenticator
        .remote_keys()
        .provider_metadata(&issuer)
        .await
        .map_err(|e| ApiError::unprocessable("issuer", format!("issuer: {e}")))?;
    let change = ConnectionChange {
        issuer,
        client_id: body.client_id.trim().to_owned(),
        client_secret: body.client_secret,
        require_sso: body.require_sso,
        jit_role,
    };
    let kek = state.kek.clone();
    let saved = run(&state, move |conn| {
        sso::connect(conn, &kek, &actor, &org_id, change)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SsoConnectionView::of(
        saved,
        state.relying_party.console_origin(),
    )))
}

/// The organization's IdP connection (`404` when it has none).
#[utoipa::path(
    tag = "sso",
    params(OrgPath),
    responses((status = 200, body = SsoConnectionView), CommonProblems, NotFoundProblem)
)]
#[get("/organizations/{org_id}/sso")]
pub async fn get_sso(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<OrgPath>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let org_id = path.into_inner().parse()?;
    let found = run(&state, move |conn| sso::get(conn, &actor, &org_id)).await?;
    Ok(HttpResponse::Ok().json(SsoConnectionView::of(
        found,
        state.relying_party.console_origin(),
    )))
}

/// Disconnects the organization's IdP (its admins; recent sign-in).
#[utoipa::path(
    tag = "sso",
    params(OrgPath),
    responses((status = 204, description = "Disconnected"), CommonProblems, NotFoundProblem)
)]
#[delete("/organizations/{org_id}/sso")]
pub async fn delete_sso(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<OrgPath>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let org_id = path.into_inner().parse()?;
    run(&state, move |conn| sso::disconnect(conn, &actor, &org_id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Assigns the organization's e-mail domains (platform admins); a domain belongs to one
/// organization at most (`409`). Answers the domains as stored.
#[utoipa::path(
    tag = "sso",
    params(OrgPath),
    request_body(content = Vec<String>, example = json!(["acme.example"])),
    responses((status = 200, body = [String]), CommonProblems, NotFoundProblem, ConflictProblem, BodyProblems)
)]
#[put("/organizations/{org_id}/sso/domains")]
pub async fn put_domains(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<OrgPath>,
    body: ApiJson<Vec<String>>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let org_id = path.into_inner().parse()?;
    let domains = body.0;
    let saved = run(&state, move |conn| {
        sso::set_domains(conn, &actor, &org_id, &domains)
    })
    .await?;
    Ok(HttpResponse::Ok().json(saved))
}
