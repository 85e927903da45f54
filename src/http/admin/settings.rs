//! What an admin needs to hand an application its configuration: where to get tokens and for
//! which audiences (the console's quick start reads it).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::AdminPrincipal;
use super::problem::ApiError;
use super::responses::CommonProblems;
use crate::http::AppState;

#[derive(Serialize, ToSchema)]
pub struct SettingsView {
    #[schema(example = "https://auth.example.com")]
    pub issuer: String,
    #[schema(example = "https://auth.example.com/oauth/token")]
    pub token_endpoint: String,
    /// The values `audience` may take besides the issuer; empty when tokens are for the
    /// issuer only.
    #[schema(example = json!(["https://api.example.com"]))]
    pub audiences: Vec<String>,
    /// The `aud` of a token requested without `audience`.
    #[schema(example = "https://api.example.com")]
    pub default_audience: String,
    /// The lifetime of access tokens.
    #[schema(example = 3600)]
    pub token_ttl_seconds: u64,
}

/// The token endpoint, audiences and token lifetime, for any admin.
#[utoipa::path(
    tag = "settings",
    responses((status = 200, body = SettingsView), CommonProblems)
)]
#[get("/settings")]
pub async fn get_settings(
    _caller: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let issuer = state.issuer.issuer().to_owned();
    let audiences = state.audiences.configured().to_vec();
    Ok(HttpResponse::Ok().json(SettingsView {
        token_endpoint: format!("{issuer}/oauth/token"),
        default_audience: audiences.first().unwrap_or(&issuer).clone(),
        audiences,
        issuer,
        token_ttl_seconds: state.issuer.ttl().as_secs(),
    }))
}
