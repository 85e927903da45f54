use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::{HttpResponse, web};
use serde_json::json;

use super::OAuthError;
use crate::domain::client_keys::ALGORITHMS;
use crate::http::AppState;
use crate::store;

/// RFC 8414 authorization server metadata. `scopes_supported` is the live role catalog.
pub async fn metadata(state: web::Data<AppState>) -> Result<HttpResponse, OAuthError> {
    let roles = store::run(&state.pool, |conn| {
        store::roles::list(conn).map_err(store::StoreError::Query)
    })
    .await?;
    let issuer = state.issuer.issuer();
    let auth_methods = [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ];
    let signing_algs: Vec<String> = ALGORITHMS.iter().map(|a| format!("{a:?}")).collect();
    Ok(HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/oauth/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "introspection_endpoint": format!("{issuer}/oauth/introspect"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "status_list_aggregation_endpoint": state.status_lists.aggregation_uri(),
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": signing_algs,
        "introspection_endpoint_auth_signing_alg_values_supported": signing_algs,
        "revocation_endpoint_auth_signing_alg_values_supported": signing_algs,
        "scopes_supported": roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
    })))
}

/// RFC 7517 JWK set of every published key (next, active, retired), serialized once per key
/// change. Cacheable for 5 minutes only while this instance knows its keys are current: an
/// instance that cannot confirm it has seen the latest key change (a partition) says
/// `no-store`, so no resource server caches a set that may lack a next key.
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    let caching = if state.key_reloader.is_current() {
        vec![CacheDirective::Public, CacheDirective::MaxAge(300)]
    } else {
        vec![CacheDirective::NoStore]
    };
    HttpResponse::Ok()
        .insert_header(ContentType::json())
        .insert_header(CacheControl(caching))
        .body(state.issuer.keys().jwks_json().to_vec())
}
