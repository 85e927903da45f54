//! `/oauth/*` and `/.well-known/*`: the token endpoint (RFC 6749 §4.4), introspection (RFC
//! 7662), revocation (RFC 7009), authorization server
//! metadata (RFC 8414), the JWK set (RFC 7517) and the Token Status Lists (SPEC §11).

pub mod client_authentication;
mod discovery;
mod error;
pub mod form;
mod introspect;
mod revoke;
mod status_lists;
pub mod tarpit;
mod token;

pub use client_authentication::decode_basic;
pub use error::OAuthError;

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpResponse, HttpResponseBuilder, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/oauth/token").route(web::post().to(token::token)))
        .service(web::resource("/oauth/introspect").route(web::post().to(introspect::introspect)))
        .service(web::resource("/oauth/revoke").route(web::post().to(revoke::revoke)))
        .service(
            web::resource("/.well-known/oauth-authorization-server")
                .route(web::get().to(discovery::metadata)),
        )
        .service(web::resource("/.well-known/jwks.json").route(web::get().to(discovery::jwks)))
        .service(web::resource("/statuslists").route(web::get().to(status_lists::aggregation)))
        .service(web::resource("/statuslists/{id}").route(web::get().to(status_lists::list)));
}

/// A `200` whose body must not be cached anywhere (tokens, introspection answers): RFC 6749
/// §5.1's `Cache-Control: no-store` and `Pragma: no-cache`.
fn no_store() -> HttpResponseBuilder {
    let mut res = HttpResponse::Ok();
    add_no_store(&mut res);
    res
}

fn add_no_store(res: &mut HttpResponseBuilder) {
    res.insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((header::PRAGMA, "no-cache"));
}
