//! An organization's invitations.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};

use super::auth::AdminPrincipal;
use super::json::ApiJson;
use super::pagination::{Page, PageQuery};
use super::paths::{InvitationPath, OrgPath, invalid};
use super::people_views::{CreateInvitationRequest, InvitationView, invitation_url};
use super::problem::ApiError;
use super::responses::{
    BodyProblems, CommonProblems, ConflictProblem, NotFoundProblem, QueryProblems,
};
use super::run;
use crate::domain::{Email, MembershipRole};
use crate::http::AppState;
use crate::service::people::invitations::{self, DEFAULT_DAYS, NewInvitation};

/// Invites a person by e-mail (recent sign-in required). The answer holds the invitation URL,
/// shown this once; with SMTP configured it is also e-mailed.
#[utoipa::path(
    tag = "people",
    params(OrgPath),
    request_body = CreateInvitationRequest,
    responses((status = 201, body = InvitationView), CommonProblems, NotFoundProblem, ConflictProblem, BodyProblems)
)]
#[post("/organizations/{org_id}/invitations")]
pub async fn create_invitation(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<OrgPath>,
    body: ApiJson<CreateInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let org_id = path.into_inner().parse()?;
    let body = body.0;
    let new = NewInvitation {
        email: Email::parse(&body.email).map_err(invalid("email"))?,
        role: MembershipRole::parse(&body.role).map_err(invalid("role"))?,
        expires_in_days: body.expires_in_days.unwrap_or(DEFAULT_DAYS),
    };
    let created = run(&state, move |conn| {
        invitations::create(conn, &actor, &org_id, new)
    })
    .await?;
    let url = invitation_url(state.relying_party.console_origin(), created.token.expose());
    let (subject, text) = invitations::mail(&created, &url);
    let emailed = match state
        .mailer
        .send(&created.invitation.email, &subject, text)
        .await
    {
        Ok(sent) => sent,
        Err(e) => {
            log::warn!(
                invitation = created.invitation.id.as_str();
                "invitation e-mail not sent: {e}"
            );
            false
        }
    };
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(InvitationView::created(&created, url, emailed)))
}

/// The organization's pending invitations, oldest first (never their links).
#[utoipa::path(
    tag = "people",
    params(OrgPath, PageQuery),
    responses(
        (status = 200, body = [InvitationView], headers(
            ("X-Next-Cursor" = String, description = "Cursor of the next page, absent on the last"),
            ("Link" = String, description = "RFC 8288 rel=\"next\" link"),
        )),
        CommonProblems, NotFoundProblem, QueryProblems,
    )
)]
#[get("/organizations/{org_id}/invitations")]
pub async fn list_invitations(
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
        invitations::list(conn, &actor, &org_id, page.after, limit + 1)
    })
    .await?;
    Ok(
        Page::from_rows(rows, limit, |i| (i.created_at, i.id.clone()))
            .respond::<InvitationView>(&req, limit),
    )
}

/// Revokes a pending invitation (recent sign-in required): its link stops working.
#[utoipa::path(
    tag = "people",
    params(InvitationPath),
    responses((status = 204, description = "Revoked"), CommonProblems, NotFoundProblem)
)]
#[delete("/organizations/{org_id}/invitations/{invitation_id}")]
pub async fn revoke_invitation(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<InvitationPath>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let (org_id, id) = path.into_inner().parse()?;
    run(&state, move |conn| {
        invitations::revoke(conn, &actor, &org_id, &id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
