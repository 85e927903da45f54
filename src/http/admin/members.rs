//! An organization's members.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, web};

use super::auth::AdminPrincipal;
use super::json::ApiJson;
use super::pagination::{Page, PageQuery};
use super::paths::{MemberPath, OrgPath, invalid};
use super::people_views::{MemberView, UpdateMemberRequest};
use super::problem::ApiError;
use super::responses::{
    BodyProblems, CommonProblems, ConflictProblem, NotFoundProblem, QueryProblems,
};
use super::run;
use crate::domain::MembershipRole;
use crate::http::AppState;
use crate::service::people::members;

/// The organization's members, oldest first, paginated.
#[utoipa::path(
    tag = "people",
    params(OrgPath, PageQuery),
    responses(
        (status = 200, body = [MemberView], headers(
            ("X-Next-Cursor" = String, description = "Cursor of the next page, absent on the last"),
            ("Link" = String, description = "RFC 8288 rel=\"next\" link"),
        )),
        CommonProblems, NotFoundProblem, QueryProblems,
    )
)]
#[get("/organizations/{org_id}/members")]
pub async fn list_members(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<OrgPath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let org_id = path.into_inner().parse()?;
    let page = query.parse()?;
    let limit = page.limit;
    let rows = run(&state, move |conn| {
        members::list(conn, &actor, &org_id, page.after, limit + 1)
    })
    .await?;
    Ok(
        Page::from_rows(rows, limit, |m| (m.joined_at, m.user_id.clone()))
            .respond::<MemberView>(&req, limit),
    )
}

/// Changes a member's role (recent sign-in required). The last admin stays (`409`); only a
/// platform admin changes a platform admin.
#[utoipa::path(
    tag = "people",
    params(MemberPath),
    request_body = UpdateMemberRequest,
    responses((status = 200, body = MemberView), CommonProblems, NotFoundProblem, ConflictProblem, BodyProblems)
)]
#[patch("/organizations/{org_id}/members/{user_id}")]
pub async fn update_member(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<MemberPath>,
    body: ApiJson<UpdateMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let (org_id, user_id) = path.into_inner().parse()?;
    let role = MembershipRole::parse(&body.0.role).map_err(invalid("role"))?;
    let member = run(&state, move |conn| {
        members::change_role(conn, &actor, &org_id, &user_id, role)
    })
    .await?;
    Ok(HttpResponse::Ok().json(MemberView::from(member)))
}

/// Removes a member (recent sign-in required): their sessions lose the organization at once.
#[utoipa::path(
    tag = "people",
    params(MemberPath),
    responses((status = 204, description = "Removed"), CommonProblems, NotFoundProblem, ConflictProblem)
)]
#[delete("/organizations/{org_id}/members/{user_id}")]
pub async fn remove_member(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<MemberPath>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let (org_id, user_id) = path.into_inner().parse()?;
    run(&state, move |conn| {
        members::remove(conn, &actor, &org_id, &user_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of a member (recent sign-in required).
#[utoipa::path(
    tag = "people",
    params(MemberPath),
    responses((status = 204, description = "Ended"), CommonProblems, NotFoundProblem)
)]
#[delete("/organizations/{org_id}/members/{user_id}/sessions")]
pub async fn end_member_sessions(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<MemberPath>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let (org_id, user_id) = path.into_inner().parse()?;
    run(&state, move |conn| {
        members::end_sessions(conn, &actor, &org_id, &user_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
