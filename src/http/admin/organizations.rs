use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::auth::AdminPrincipal;
use super::json::ApiJson;
use super::pagination::{Page, PageQuery};
use super::paths::{OrgPath, invalid};
use super::problem::ApiError;
use super::responses::{
    BodyProblems, CommonProblems, ConflictProblem, NotFoundProblem, QueryProblems,
};
use super::run;
use super::views::{CreateOrganizationRequest, OrganizationView, UpdateOrganizationRequest};
use crate::domain::DisplayName;
use crate::http::AppState;
use crate::service;
use crate::store;

/// The organizations, oldest first, paginated like the clients list (platform:admin).
#[utoipa::path(
    tag = "organizations",
    params(PageQuery),
    responses(
        (status = 200, body = [OrganizationView], headers(
            ("X-Next-Cursor" = String, description = "Cursor of the next page, absent on the last"),
            ("Link" = String, description = "RFC 8288 rel=\"next\" link"),
        )),
        CommonProblems, QueryProblems,
    )
)]
#[get("/organizations")]
pub async fn list_organizations(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let page = query.parse()?;
    let limit = page.limit;
    let orgs = run(&state, move |conn| {
        service::organizations::list(conn, &actor, page.after, limit + 1)
    })
    .await?;
    Ok(
        Page::from_rows(orgs, limit, |o| (o.created_at, o.id.clone()))
            .respond::<OrganizationView>(&req, limit),
    )
}

/// One organization: its own, for an org admin; any, for a platform admin.
#[utoipa::path(
    tag = "organizations",
    params(OrgPath),
    responses(
        (status = 200, body = OrganizationView),
        CommonProblems, NotFoundProblem,
    )
)]
#[get("/organizations/{org_id}")]
pub async fn get_organization(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<OrgPath>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let org_id = path.into_inner().parse()?;
    let org = run(&state, move |conn| {
        service::access::find_visible(conn, &actor, &org_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(OrganizationView::from(org)))
}

/// Renames an organization and/or sets its maximum client-secret lifetime (platform:admin).
#[utoipa::path(
    tag = "organizations",
    params(OrgPath),
    request_body = UpdateOrganizationRequest,
    responses(
        (status = 200, body = OrganizationView),
        CommonProblems, NotFoundProblem, BodyProblems,
    )
)]
#[patch("/organizations/{org_id}")]
pub async fn rename_organization(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<OrgPath>,
    body: ApiJson<UpdateOrganizationRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let org_id = path.into_inner().parse()?;
    let ApiJson(body) = body;
    let name = body.name.as_deref().map(DisplayName::parse).transpose();
    let name = name.map_err(invalid("name"))?;
    if name.is_none() && body.max_secret_lifetime_seconds.is_none() {
        return Err(ApiError::unprocessable(
            "name",
            "send name, max_secret_lifetime_seconds or both",
        ));
    }
    let max = body.max_secret_lifetime_seconds;
    // Both changes in one transaction: both or neither.
    let org = run(&state, move |conn| {
        store::write_transaction(conn, |conn| {
            let mut org = None;
            if let Some(name) = name {
                org = Some(service::organizations::rename(conn, &actor, &org_id, name)?);
            }
            if let Some(max) = max {
                org = Some(service::organizations::set_max_secret_lifetime(
                    conn, &actor, &org_id, max,
                )?);
            }
            org.ok_or(service::ServiceError::NotFound("organization"))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(OrganizationView::from(org)))
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
    caller: AdminPrincipal,
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
