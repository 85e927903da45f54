use actix_web::{HttpRequest, HttpResponse, get, web};

use super::auth::AdminCaller;
use super::pagination::{Page, PageQuery};
use super::paths::OrgPath;
use super::problem::ApiError;
use super::responses::{CommonProblems, NotFoundProblem, QueryProblems};
use super::run;
use super::views::AuditEventView;
use crate::http::AppState;
use crate::service;

/// Who did what to which client, when: newest first, paginated.
#[utoipa::path(
    tag = "audit",
    params(OrgPath, PageQuery),
    responses(
        (status = 200, body = [AuditEventView], headers(
            ("X-Next-Cursor" = String, description = "Cursor of the next page, absent on the last"),
            ("Link" = String, description = "RFC 8288 rel=\"next\" link"),
        )),
        CommonProblems, NotFoundProblem, QueryProblems,
    )
)]
#[get("/organizations/{org_id}/audit-events")]
pub async fn list_audit_events(
    caller: AdminCaller,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<OrgPath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let org_id = path.into_inner().parse()?;
    let page = query.parse()?;
    let limit = page.limit;
    let events = run(&state, move |conn| {
        service::audit::page(conn, &actor, &org_id, page.after, limit + 1)
    })
    .await?;
    Ok(
        Page::from_rows(events, limit, |e| (e.created_at, e.id.clone()))
            .respond::<AuditEventView>(&req, limit),
    )
}
