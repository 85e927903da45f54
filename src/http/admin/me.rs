//! `/me`: who is calling, and a person's own sessions and passkeys.

use actix_web::{HttpRequest, HttpResponse, delete, get, web};

use super::auth::AdminPrincipal;
use super::paths::OwnPath;
use super::people_views::{MeView, MembershipView, PasskeyView, SessionSummaryView, SessionView};
use super::problem::ApiError;
use super::responses::{CommonProblems, ConflictProblem, NotFoundProblem};
use super::run;
use crate::domain::{ORG_ADMIN, PLATFORM_ADMIN};
use crate::http::{AppState, session_cookie};
use crate::service::Principal;
use crate::service::people::{passkeys, sessions};
use crate::store;

/// The caller: a person with their memberships, session and CSRF token, or an admin client
/// with the organization it administers.
#[utoipa::path(tag = "people", responses((status = 200, body = MeView), CommonProblems))]
#[get("/me")]
pub async fn me(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let view = match caller.actor() {
        Principal::User(user) => {
            let cookie = session_cookie::read(&req).ok_or(ApiError::Internal)?;
            let settings = state.people.clone();
            let origin = super::auth::request_origin(&state, &req);
            let user_id = user.user_id.clone();
            let (memberships, session) = run(&state, move |conn| {
                let memberships = store::people::memberships::of_user(conn, &user_id)?;
                let session = sessions::authenticate(conn, &settings, &cookie, &origin)?;
                Ok((memberships, session))
            })
            .await?;
            let (_, session) = session.ok_or_else(|| {
                ApiError::Unauthorized("the session has ended or expired: sign in again".into())
            })?;
            MeView {
                kind: "user",
                id: user.user_id,
                name: user.name,
                email: Some(user.email),
                memberships: memberships
                    .into_iter()
                    .map(|m| MembershipView {
                        sso_required: !user.memberships.iter().any(|(org, _)| *org == m.org_id),
                        organization_id: m.org_id,
                        organization_name: m.org_name,
                        role: m.role,
                    })
                    .collect(),
                csrf_token: Some(session.csrf_token.clone()),
                session: Some(SessionSummaryView::from(&session)),
            }
        }
        Principal::Client(client) => {
            let (id, org_id) = (client.client_id.clone(), client.org_id.clone());
            let (name, org) = run(&state, move |conn| {
                Ok((
                    store::clients::name_of(conn, &id)?,
                    store::organizations::find(conn, &org_id)?,
                ))
            })
            .await?;
            let org_name = org.map(|o| o.name).unwrap_or_default();
            MeView {
                kind: "client",
                name: name.unwrap_or_default(),
                email: None,
                memberships: client
                    .roles
                    .iter()
                    .filter(|r| *r == ORG_ADMIN || *r == PLATFORM_ADMIN)
                    .map(|role| MembershipView {
                        sso_required: false,
                        organization_id: client.org_id.clone(),
                        organization_name: org_name.clone(),
                        role: role.clone(),
                    })
                    .collect(),
                id: client.client_id,
                session: None,
                csrf_token: None,
            }
        }
        Principal::Operator(_) => return Err(ApiError::Internal),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(view))
}

/// The person's sessions, newest first (`current` marks this one).
#[utoipa::path(tag = "people", responses((status = 200, body = [SessionView]), CommonProblems))]
#[get("/me/sessions")]
pub async fn list_sessions(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.person()?;
    let current = user.session_id.clone();
    let list = run(&state, move |conn| sessions::list(conn, &user)).await?;
    Ok(HttpResponse::Ok().json(
        list.into_iter()
            .map(|s| SessionView::of(s, &current))
            .collect::<Vec<_>>(),
    ))
}

/// Ends one of the person's sessions (on every instance, at its next request).
#[utoipa::path(
    tag = "people",
    params(OwnPath),
    responses((status = 204, description = "Ended"), CommonProblems, NotFoundProblem)
)]
#[delete("/me/sessions/{id}")]
pub async fn end_session(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<OwnPath>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.person()?;
    let id = path.into_inner().parse("session")?;
    run(&state, move |conn| sessions::end(conn, &user, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// "Sign out everywhere else": ends every session of the person but this one.
#[utoipa::path(tag = "people", responses((status = 204, description = "Ended"), CommonProblems))]
#[delete("/me/sessions")]
pub async fn end_other_sessions(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.person()?;
    run(&state, move |conn| sessions::end_others(conn, &user)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The person's passkeys.
#[utoipa::path(tag = "people", responses((status = 200, body = [PasskeyView]), CommonProblems))]
#[get("/me/passkeys")]
pub async fn list_passkeys(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.person()?;
    let list = run(&state, move |conn| passkeys::list(conn, &user)).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(PasskeyView::from).collect::<Vec<_>>()))
}

/// Removes one of the person's passkeys (recent sign-in required); `409` for the last way
/// they can sign in.
#[utoipa::path(
    tag = "people",
    params(OwnPath),
    responses((status = 204, description = "Removed"), CommonProblems, NotFoundProblem, ConflictProblem)
)]
#[delete("/me/passkeys/{id}")]
pub async fn remove_passkey(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<OwnPath>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.person()?;
    let id = path.into_inner().parse("passkey")?;
    run(&state, move |conn| passkeys::remove(conn, &user, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
