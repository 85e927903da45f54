//! `/organizations/{org_id}/clients/{client_id}/trust-policies`: which external workload
//! tokens may act as the client (workload identity federation).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::AdminPrincipal;
use super::json::ApiJson;
use super::paths::{ClientPath, TrustPolicyPath};
use super::problem::ApiError;
use super::responses::{BodyProblems, CommonProblems, ConflictProblem, NotFoundProblem};
use super::run;
use crate::domain::trust_policy::TrustRules;
use crate::http::AppState;
use crate::service;
use crate::store::trust_policies::TrustPolicyRow;

#[derive(Serialize, ToSchema)]
pub struct TrustPolicyView {
    #[schema(example = "tp_5mQ1xW8rT2yU6iO0pA4sD3")]
    pub id: String,
    #[schema(example = "SL1sZQeZj9wt0qgJIquRpvRz")]
    pub client_id: String,
    #[schema(example = "https://token.actions.githubusercontent.com")]
    pub issuer: String,
    /// Where the issuer's keys are; null: from its discovery document.
    #[schema(example = json!(null))]
    pub jwks_uri: Option<String>,
    #[schema(example = "https://auth.example.com")]
    pub audience: String,
    #[schema(example = "repo:acme/billing:environment:production")]
    pub subject: String,
    #[schema(example = json!({"repository": "acme/billing", "ref": "refs/heads/main"}))]
    pub claims: BTreeMap<String, String>,
    #[schema(example = "2026-11-27T09:30:00Z")]
    pub created_at: DateTime<Utc>,
}

impl From<TrustPolicyRow> for TrustPolicyView {
    fn from(row: TrustPolicyRow) -> Self {
        Self {
            claims: serde_json::from_str(&row.claims).unwrap_or_default(),
            id: row.id,
            client_id: row.client_id,
            issuer: row.issuer,
            jwks_uri: row.jwks_uri,
            audience: row.audience,
            subject: row.subject,
            created_at: row.created_at.and_utc(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrustPolicyRequest {
    /// The workload issuer: `https://…` (its discovery document names its keys).
    #[schema(example = "https://token.actions.githubusercontent.com")]
    pub issuer: String,
    /// The issuer's key set, when it has no discovery document.
    #[schema(example = json!(null))]
    pub jwks_uri: Option<String>,
    /// Must be one of the token's `aud` values, and name this server (its issuer or one of
    /// `ORGAUTH_AUDIENCES`).
    #[schema(example = "https://auth.example.com")]
    pub audience: String,
    /// The token's `sub`: exact, or a literal start ending at `/` or `:` then `*` for any run
    /// of characters (`repo:acme/billing:*`).
    #[schema(example = "repo:acme/billing:environment:production")]
    pub subject: String,
    /// Other claims the token must carry: name -> exact value or pattern with `*`.
    #[serde(default)]
    #[schema(example = json!({"repository": "acme/billing", "ref": "refs/heads/main"}))]
    pub claims: BTreeMap<String, String>,
}

/// The client's trust policies.
#[utoipa::path(
    tag = "clients",
    params(ClientPath),
    responses((status = 200, body = [TrustPolicyView]), CommonProblems, NotFoundProblem)
)]
#[get("/organizations/{org_id}/clients/{client_id}/trust-policies")]
pub async fn list_trust_policies(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<ClientPath>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let (org_id, client_id) = path.into_inner().parse()?;
    let rows = run(&state, move |conn| {
        service::trust_policies::list(conn, &actor, &org_id, &client_id)
    })
    .await?;
    let views: Vec<TrustPolicyView> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Lets tokens of an external issuer that meet the conditions act as this client (by the
/// grant rule: only an actor who may act on the client). At most 10 per client.
#[utoipa::path(
    tag = "clients",
    params(ClientPath),
    request_body = CreateTrustPolicyRequest,
    responses(
        (status = 201, body = TrustPolicyView),
        CommonProblems, NotFoundProblem, BodyProblems, ConflictProblem,
    )
)]
#[post("/organizations/{org_id}/clients/{client_id}/trust-policies")]
pub async fn create_trust_policy(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<ClientPath>,
    body: ApiJson<CreateTrustPolicyRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let (org_id, client_id) = path.into_inner().parse()?;
    let ApiJson(body) = body;
    let rules = TrustRules::parse(
        &body.issuer,
        body.jwks_uri.as_deref(),
        &body.audience,
        &body.subject,
        body.claims,
        state.issuer.issuer(),
    )
    .map_err(|(field, e)| ApiError::unprocessable(field, format!("{field}: {}", e.0)))?;
    super::clients::check_remote_url(&state, "issuer", &rules.issuer).await?;
    if let Some(uri) = &rules.jwks_uri {
        super::clients::check_remote_url(&state, "jwks_uri", uri).await?;
    }
    let row = run(&state, move |conn| {
        service::trust_policies::create(conn, &actor, &org_id, &client_id, rules)
    })
    .await?;
    Ok(HttpResponse::Created().json(TrustPolicyView::from(row)))
}

/// Removes a trust policy: its tokens stop being accepted at once.
#[utoipa::path(
    tag = "clients",
    params(TrustPolicyPath),
    responses((status = 204), CommonProblems, NotFoundProblem)
)]
#[delete("/organizations/{org_id}/clients/{client_id}/trust-policies/{policy_id}")]
pub async fn delete_trust_policy(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<TrustPolicyPath>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let (org_id, client_id, policy_id) = path.into_inner().parse()?;
    run(&state, move |conn| {
        service::trust_policies::delete(conn, &actor, &org_id, &client_id, &policy_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
