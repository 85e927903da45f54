use actix_web::{HttpResponse, get, post, web};

use super::auth::AdminCaller;
use super::json::ApiJson;
use super::paths::invalid;
use super::problem::ApiError;
use super::responses::{BodyProblems, CommonProblems, ConflictProblem};
use super::run;
use super::views::{CreateOrganizationRequest, OrganizationView};
use crate::domain::DisplayName;
use crate::http::AppState;
use crate::service;

/// Every organization (platform:admin).
#[utoipa::path(
    tag = "organizations",
    responses(
        (status = 200, body = [OrganizationView]),
        CommonProblems,
    )
)]
#[get("/organizations")]
pub async fn list_organizations(
    caller: AdminCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let orgs = run(&state, move |conn| {
        service::organizations::list(conn, &actor)
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        orgs.into_iter()
            .map(OrganizationView::from)
            .collect::<Vec<_>>(),
    ))
}

/// Creates an organization (platform:admin).
#[utoipa::path(
    tag = "organizations",
    request_body = CreateOrganizationRequest,
    responses(
        (status = 201, body = OrganizationView),
        CommonProblems, BodyProblems, ConflictProblem,
    )
)]
#[post("/organizations")]
pub async fn create_organization(
    caller: AdminCaller,
    state: web::Data<AppState>,
    body: ApiJson<CreateOrganizationRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let ApiJson(body) = body;
    let name = DisplayName::parse(&body.name).map_err(invalid("name"))?;
    let org = run(&state, move |conn| {
        service::organizations::create(conn, &actor, name)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/admin/v1/organizations/{}", org.id)))
        .json(OrganizationView::from(org)))
}
