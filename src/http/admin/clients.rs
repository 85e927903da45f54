use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::auth::AdminPrincipal;
use super::client_list::{self, ClientListQuery, ClientListRequest};
use super::json::{ApiJson, read_limited};
use super::pagination::{Page, PageQuery};
use super::paths::{ClientPath, OrgPath, invalid};
use super::problem::ApiError;
use super::responses::{
    BodyProblems, CommonProblems, ConflictProblem, NotFoundProblem, QueryProblems,
};
use super::run;
use super::views::ClientSettingsRequest;
use super::views::{
    ClientView, ClientWithSecretView, CreateClientRequest, RotateSecretRequest, UpdateClientRequest,
};
use crate::domain::AuthMethod;
use crate::domain::{DisplayName, RoleSet};
use crate::http::AppState;
use crate::service::client_settings::{ClientAuth, ClientSettings};
use crate::service::{self, client_secrets::Rotation, clients::ClientUpdate, clients::NewClient};
use crate::store;

/// The organization's clients, oldest first unless `sort` says otherwise, paginated, optionally
/// searched. Secrets are never listed; the hint tells them apart.
#[utoipa::path(
    tag = "clients",
    params(OrgPath, PageQuery, ClientListQuery),
    responses(
        (status = 200, body = [ClientView], headers(
            ("X-Total-Count" = i64, description = "How many clients match the search in all"),
            ("X-Next-Cursor" = String, description = "Cursor of the next page, absent on the last"),
            ("Link" = String, description = "RFC 8288 rel=\"next\" link"),
        )),
        CommonProblems, NotFoundProblem, QueryProblems,
    )
)]
#[get("/organizations/{org_id}/clients")]
pub async fn list_clients(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<OrgPath>,
    page: web::Query<PageQuery>,
    list: web::Query<ClientListQuery>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let org_id = path.into_inner().parse()?;
    let (limit, cursor) = page.parse_raw()?;
    let ClientListRequest { search, order } = list.parse()?;
    let after = cursor
        .map(|cursor| client_list::decode(order, cursor))
        .transpose()?;
    let (clients, total) = run(&state, move |conn| {
        service::clients::list(
            conn,
            &actor,
            &org_id,
            search.as_deref(),
            order,
            after,
            limit + 1,
        )
    })
    .await?;
    let mut page = Page::with_cursor(clients, limit, |c| client_list::encode(order, &c.row));
    page.total = Some(total);
    Ok(page.respond::<ClientView>(&req, limit))
}

/// Refuses a remote key URL that no fetch would be allowed to reach (port, internal address),
/// naming the field: the admin learns it now, not at the client's first token request.
pub(super) async fn check_remote_url(
    state: &AppState,
    field: &'static str,
    url: &str,
) -> Result<(), ApiError> {
    state
        .authenticator
        .remote_keys()
        .check_registrable(url)
        .await
        .map_err(|e| ApiError::unprocessable(field, format!("{field}: {e}")))
}

/// The settings as sent: `jwks` (with `private_key_jwt`, which it implies) makes a key-based
/// client (as does `jwks_uri`, where the client publishes them), a secret method a
/// secret-based one.
fn client_settings(
    sent: ClientSettingsRequest,
    state: &AppState,
) -> Result<ClientSettings, ApiError> {
    let method = sent
        .token_endpoint_auth_method
        .as_deref()
        .map(|m| {
            AuthMethod::parse(m).ok_or_else(|| {
                ApiError::unprocessable(
                    "token_endpoint_auth_method",
                    "must be client_secret_basic, client_secret_post or private_key_jwt",
                )
            })
        })
        .transpose()?;
    let auth = match (method, sent.jwks, sent.jwks_uri) {
        (_, Some(_), Some(_)) => {
            return Err(ApiError::unprocessable(
                "jwks_uri",
                "send the keys (jwks) or where they are (jwks_uri), not both",
            ));
        }
        (None | Some(AuthMethod::PrivateKeyJwt), Some(jwks), None) => Some(ClientAuth::Keys(
            serde_json::Value::Object(jwks).to_string(),
        )),
        (None | Some(AuthMethod::PrivateKeyJwt), None, Some(uri)) => Some(ClientAuth::KeysAt(uri)),
        (Some(AuthMethod::PrivateKeyJwt), None, None) => {
            return Err(ApiError::unprocessable(
                "jwks",
                "private_key_jwt needs the client's public keys in jwks, or their URL in jwks_uri",
            ));
        }
        (Some(AuthMethod::ClientSecret), Some(_), _)
        | (Some(AuthMethod::ClientSecret), _, Some(_)) => {
            return Err(ApiError::unprocessable(
                "jwks",
                "keys are for private_key_jwt; a client_secret client has none",
            ));
        }
        (Some(AuthMethod::ClientSecret), None, None) => Some(ClientAuth::Secret),
        (None, None, None) => None,
    };
    Ok(ClientSettings {
        auth,
        description: sent.description,
        disabled: sent.disabled,
        token_ttl_seconds: sent.token_ttl_seconds,
        server_token_ttl: state.issuer.ttl(),
    })
}

/// Creates a client; the response carries its secret, the only time it is shown.
#[utoipa::path(
    tag = "clients",
    params(OrgPath),
    request_body = CreateClientRequest,
    responses(
        (status = 201, description = "The client and its secret, shown this once", body = ClientWithSecretView),
        CommonProblems, NotFoundProblem, BodyProblems, ConflictProblem,
    )
)]
#[post("/organizations/{org_id}/clients")]
pub async fn create_client(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<OrgPath>,
    body: ApiJson<CreateClientRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let org_id = path.into_inner().parse()?;
    let ApiJson(mut body) = body;
    let name = DisplayName::parse(&body.name).map_err(invalid("name"))?;
    let roles = RoleSet::parse(&body.roles).map_err(invalid("roles"))?;
    let settings = client_settings(body.take_settings(), &state)?;
    if let Some(ClientAuth::KeysAt(uri)) = &settings.auth {
        check_remote_url(&state, "jwks_uri", uri).await?;
    }
    let secret_expires_at = body
        .client_secret_expires_at
        .map(|t| store::truncate_to_micros(t.naive_utc()));
    let hasher = state.hasher.clone();
    let created = run(&state, move |conn| {
        service::clients::create(
            conn,
            &hasher,
            &actor,
            NewClient {
                org_id,
                name,
                roles,
                id: None,
                secret: None,
                settings,
                secret_expires_at,
            },
        )
    })
    .await?;
    let location = format!(
        "/admin/v1/organizations/{}/clients/{}",
        created.client.row.org_id, created.client.row.id
    );
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store"))
        .json(ClientWithSecretView::from(created)))
}

/// One client (never its secret).
#[utoipa::path(
    tag = "clients",
    params(ClientPath),
    responses(
        (status = 200, body = ClientView),
        CommonProblems, NotFoundProblem,
    )
)]
#[get("/organizations/{org_id}/clients/{client_id}")]
pub async fn get_client(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<ClientPath>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let (org_id, client_id) = path.into_inner().parse()?;
    let client = run(&state, move |conn| {
        service::clients::get(conn, &actor, &org_id, &client_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ClientView::from(client)))
}

/// Renames a client and/or replaces its roles.
#[utoipa::path(
    tag = "clients",
    params(ClientPath),
    request_body = UpdateClientRequest,
    responses(
        (status = 200, body = ClientView),
        CommonProblems, NotFoundProblem, BodyProblems, ConflictProblem,
    )
)]
#[patch("/organizations/{org_id}/clients/{client_id}")]
pub async fn update_client(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<ClientPath>,
    body: ApiJson<UpdateClientRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let (org_id, client_id) = path.into_inner().parse()?;
    let ApiJson(mut body) = body;
    let settings = client_settings(body.take_settings(), &state)?;
    if let Some(ClientAuth::KeysAt(uri)) = &settings.auth {
        check_remote_url(&state, "jwks_uri", uri).await?;
    }
    let name = body.name.as_deref().map(DisplayName::parse).transpose();
    let name = name.map_err(invalid("name"))?;
    let roles = body.roles.as_deref().map(RoleSet::parse).transpose();
    let roles = roles.map_err(invalid("roles"))?;
    let id = client_id.clone();
    let client = run(&state, move |conn| {
        service::clients::update(
            conn,
            &actor,
            &org_id,
            &id,
            ClientUpdate {
                name,
                roles,
                settings,
            },
        )
    })
    .await?;
    state.authenticator.forget(client_id.as_str());
    Ok(HttpResponse::Ok().json(ClientView::from(client)))
}

/// Gives the client a new secret, shown this once. Without `grace_period_seconds` the old
/// secret stops working at once; with it, both work until the grace period ends.
#[utoipa::path(
    tag = "clients",
    params(ClientPath),
    request_body(content = Option<RotateSecretRequest>, description = "Optional"),
    responses(
        (status = 200, description = "The client and its new secret, shown this once", body = ClientWithSecretView),
        CommonProblems, NotFoundProblem, BodyProblems, ConflictProblem,
    )
)]
#[post("/organizations/{org_id}/clients/{client_id}/secret")]
pub async fn rotate_secret(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<ClientPath>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let (org_id, client_id) = path.into_inner().parse()?;
    let body = read_limited(payload).await?;
    let request: RotateSecretRequest = ApiJson::parse_optional(&req, &body)?;
    let rotation = Rotation {
        grace: Duration::from_secs(request.grace_period_seconds.unwrap_or(0)),
        revoke_tokens: request.revoke_tokens.unwrap_or(false),
        secret_expires_at: request
            .client_secret_expires_at
            .map(|t| store::truncate_to_micros(t.naive_utc())),
    };
    let hasher = state.hasher.clone();
    let id = client_id.clone();
    let rotated = run(&state, move |conn| {
        service::client_secrets::rotate_secret(conn, &hasher, &actor, &org_id, &id, rotation)
    })
    .await?;
    state.authenticator.forget(client_id.as_str());
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ClientWithSecretView::from(rotated)))
}

/// Deletes the client: every application using it loses access at once.
#[utoipa::path(
    tag = "clients",
    params(ClientPath),
    responses(
        (status = 204, description = "Deleted"),
        CommonProblems, NotFoundProblem, ConflictProblem,
    )
)]
#[delete("/organizations/{org_id}/clients/{client_id}")]
pub async fn delete_client(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<ClientPath>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let (org_id, client_id) = path.into_inner().parse()?;
    let id = client_id.clone();
    run(&state, move |conn| {
        service::clients::delete(conn, &actor, &org_id, &id)
    })
    .await?;
    state.authenticator.forget(client_id.as_str());
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes every access token issued to the client so far: introspection answers
/// `{"active": false}` for them and the admin API refuses them. Its secret keeps working, and
/// tokens issued afterwards are unaffected. (Resource servers that verify tokens locally
/// accept them until they expire: use short token lifetimes where that matters.)
#[utoipa::path(
    tag = "clients",
    params(ClientPath),
    responses(
        (status = 200, description = "The client, with its new tokens_not_before", body = ClientView),
        CommonProblems, NotFoundProblem,
    )
)]
#[post("/organizations/{org_id}/clients/{client_id}/revoke-tokens")]
pub async fn revoke_tokens(
    caller: AdminPrincipal,
    state: web::Data<AppState>,
    path: web::Path<ClientPath>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.actor();
    let (org_id, client_id) = path.into_inner().parse()?;
    let id = client_id.clone();
    let client = run(&state, move |conn| {
        service::client_secrets::revoke_tokens(conn, &actor, &org_id, &id)
    })
    .await?;
    state.authenticator.forget(client_id.as_str());
    Ok(HttpResponse::Ok().json(ClientView::from(client)))
}
