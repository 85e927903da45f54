//! `/oauth/*` and `/.well-known/*`: the token endpoint (RFC 6749 §4.4), introspection (RFC
//! 7662), revocation (RFC 7009), authorization server
//! metadata (RFC 8414) and the JWK set (RFC 7517).

mod client_credentials;
mod discovery;
mod error;
mod form;
mod introspect;
mod token;

pub use client_credentials::decode_basic;
pub use error::OAuthError;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/oauth/token").route(web::post().to(token::token)))
        .service(web::resource("/oauth/introspect").route(web::post().to(introspect::introspect)))
        .service(web::resource("/oauth/revoke").route(web::post().to(introspect::revoke)))
        .service(
            web::resource("/.well-known/oauth-authorization-server")
                .route(web::get().to(discovery::metadata)),
        )
        .service(web::resource("/.well-known/jwks.json").route(web::get().to(discovery::jwks)));
}
