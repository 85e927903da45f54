use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::AdminPrincipal;
use super::pagination::{Page, PageQuery};
use super::paths::OrgPath;
use super::problem::ApiError;
use super::responses::{CommonProblems, NotFoundProblem, QueryProblems};
use super::run;
use super::views::AuditEventView;
use crate::http::AppState;
use crate::service;
use crate::store::{self, audit::AuditFilter};

/// What `action`, `target`, `since` and `until` narrow the audit log to.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this action, e.g. `client.secret_rotated`.
    #[param(example = "client.secret_rotated")]
    action: Option<String>,
    /// Only events about this client ID (or organization ID, or role name).
    #[param(example = "SL1sZQeZj9wt0qgJIquRpvRz")]
    target: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-11-27T00:00:00Z")]
    since: Option<String>,
    /// Only events before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-11-28T00:00:00Z")]
    until: Option<String>,
}

impl AuditQuery {
    fn parse(&self) -> Result<AuditFilter, ApiError> {
        let text = |field: &str, value: &Option<String>| match value.as_deref() {
            None | Some("") => Ok(None),
            Some(v) if v.len() <= 200 && !v.chars().any(char::is_control) => Ok(Some(v.to_owned())),
            Some(_) => Err(ApiError::bad_request(
                Some(field.into()),
                format!("{field} must be at most 200 printable characters"),
            )),
        };
        let instant = |field: &str, value: &Option<String>| match value.as_deref() {
            None | Some("") => Ok(None),
            Some(v) => chrono::DateTime::parse_from_rfc3339(v)
                .map(|t| Some(store::truncate_to_micros(t.naive_utc())))
                .map_err(|_| {
                    ApiError::bad_request(
                        Some(field.into()),
                        format!("{field} must be an RFC 3339 timestamp, e.g. 2026-11-27T00:00:00Z"),
                    )
                }),
        };
        Ok(AuditFilter {
            action: text("action", &self.action)?,
            target: text("target", &self.target)?,
            since: instant("since", &self.since)?,
            until: instant("until", &self.until)?,
        })
    }
}

/// Who did what to which client, when: newest first, paginated, optionally filtered.
#[utoipa::path(
    tag = "audit",
    params(OrgPath, PageQuery, AuditQuery),
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
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<OrgPath>,
    query: web::Query<PageQuery>,
    filter: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let org_id = path.into_inner().parse()?;
    let page = query.parse()?;
    let filter = filter.parse()?;
    let limit = page.limit;
    let events = run(&state, move |conn| {
        service::audit::page(conn, &actor, &org_id, &filter, page.after, limit + 1)
    })
    .await?;
    Ok(
        Page::from_rows(events, limit, |e| (e.created_at, e.id.clone()))
            .respond::<AuditEventView>(&req, limit),
    )
}
