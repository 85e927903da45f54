//! `/admin/v1`: organizations, clients, roles and the audit log, for bearer tokens holding
//! `org:admin` (its own organization) or `platform:admin` (everything). Errors are
//! problem+json. The OpenAPI 3.1 document is generated from the very handlers registered here
//! (utoipa-actix-web collects each `service`), so a route cannot be served undocumented.

mod audit;
pub mod auth;
mod client_list;
mod clients;
mod invitations;
pub mod json;
pub mod keys;
mod me;
mod members;
mod organizations;
mod pagination;
mod paths;
pub mod people_views;
pub mod problem;
mod responses;
mod roles;
mod settings;
mod sso;
pub mod trust_policies;
pub mod views;

use actix_web::middleware::ErrorHandlers;
use actix_web::{App, HttpResponse, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

use self::problem::ApiError;
use crate::http::AppState;
use crate::service::ServiceError;
use crate::store::DbConnection;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "orgauth admin API",
        description = "Manage organizations, their OAuth clients and the role catalog. \
            Authenticate with `Authorization: Bearer <access token>` from `POST /oauth/token`.",
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(problem::Problem)),
    tags(
        (name = "clients", description = "An organization's OAuth clients"),
        (name = "roles", description = "The role catalog"),
        (name = "organizations", description = "Organizations"),
        (name = "audit", description = "Audit log"),
        (name = "settings", description = "What applications need to get tokens"),
        (name = "sso", description = "An organization's single sign-on (OpenID Connect IdP) and e-mail domains"),
        (name = "people", description = "People: who is calling, members, invitations, sessions and passkeys"),
        (name = "keys", description = "The signing keys (platform:admin): listing them, pulling a compromised one"),
    )
)]
struct AdminApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token issued by this server's /oauth/token"))
                    .build(),
            ),
        );
    }
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/admin/v1")
            .wrap(ErrorHandlers::new().default_handler(problem::ensure_problem))
            .route("/openapi.json", web::get().to(openapi_json))
            .service(roles::list_roles)
            .service(roles::create_role)
            .service(roles::delete_role)
            .service(settings::get_settings)
            .service(organizations::list_organizations)
            .service(organizations::get_organization)
            .service(organizations::create_organization)
            .service(organizations::rename_organization)
            .service(clients::list_clients)
            .service(clients::create_client)
            .service(clients::get_client)
            .service(trust_policies::list_trust_policies)
            .service(trust_policies::create_trust_policy)
            .service(trust_policies::delete_trust_policy)
            .service(clients::update_client)
            .service(clients::rotate_secret)
            .service(clients::delete_client)
            .service(clients::revoke_tokens)
            .service(audit::list_audit_events)
            .service(me::me)
            .service(me::list_sessions)
            .service(me::end_session)
            .service(me::end_other_sessions)
            .service(me::list_passkeys)
            .service(me::remove_passkey)
            .service(members::list_members)
            .service(members::update_member)
            .service(members::remove_member)
            .service(members::end_member_sessions)
            .service(invitations::create_invitation)
            .service(invitations::list_invitations)
            .service(invitations::revoke_invitation)
            .service(sso::put_sso)
            .service(sso::get_sso)
            .service(sso::delete_sso)
            .service(sso::put_domains)
            .service(keys::list_keys)
            .service(keys::revoke_key)
            .default_service(web::to(not_found)),
    );
}

/// The OpenAPI 3.1 document of everything `routes` registers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    App::new()
        .into_utoipa_app()
        .openapi(AdminApiDoc::openapi())
        .configure(routes)
        .split_for_parts()
        .1
}

async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi_json.clone())
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such resource".into()))
}

/// Runs a use case on the blocking pool with a pooled connection.
async fn run<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut DbConnection) -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ApiError> {
    crate::store::run(&state.pool, f)
        .await
        .map_err(ApiError::from)
}
