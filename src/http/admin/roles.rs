use actix_web::{HttpResponse, delete, get, post, web};

use super::auth::AdminPrincipal;
use super::json::ApiJson;
use super::problem::ApiError;
use super::responses::{BodyProblems, CommonProblems, ConflictProblem, NotFoundProblem};
use super::run;
use super::views::{CreateRoleRequest, RoleView};
use crate::http::AppState;
use crate::service;

/// The role catalog.
#[utoipa::path(
    tag = "roles",
    responses(
        (status = 200, description = "Every role clients can be given", body = [RoleView]),
        CommonProblems,
    )
)]
#[get("/roles")]
pub async fn list_roles(
    _caller: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let roles = run(&state, service::roles::list).await?;
    Ok(HttpResponse::Ok().json(roles.into_iter().map(RoleView::from).collect::<Vec<_>>()))
}

/// Adds a role to the catalog (platform:admin).
#[utoipa::path(
    tag = "roles",
    request_body = CreateRoleRequest,
    responses(
        (status = 201, description = "The new role", body = RoleView),
        CommonProblems, BodyProblems, ConflictProblem,
    )
)]
#[post("/roles")]
pub async fn create_role(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    body: ApiJson<CreateRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let ApiJson(body) = body;
    let role = run(&state, move |conn| {
        service::roles::create(conn, &actor, &body.name, &body.description)
    })
    .await?;
    Ok(HttpResponse::Created().json(RoleView::from(role)))
}

/// Removes a role from the catalog (platform:admin); refused while a client holds it.
#[utoipa::path(
    tag = "roles",
    params(("name" = String, Path, description = "Role name")),
    responses(
        (status = 204, description = "Deleted"),
        CommonProblems, NotFoundProblem, ConflictProblem,
    )
)]
#[delete("/roles/{name}")]
pub async fn delete_role(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let name = name.into_inner();
    run(&state, move |conn| {
        service::roles::delete(conn, &actor, &name)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
