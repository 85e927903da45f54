//! The session cookie: `__Host-orgauth-session` (`Secure; HttpOnly; SameSite=Strict;
//! Path=/`), holding the opaque session id. Browsers keep `__Host-` cookies to the exact
//! host, and `http://localhost` counts as secure for them.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::{HttpRequest, HttpResponseBuilder};

use crate::domain::BearerSecret;

pub const NAME: &str = "__Host-orgauth-session";

/// The session id the browser presented, if any.
pub fn read(req: &HttpRequest) -> Option<BearerSecret> {
    req.cookie(NAME)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(|v| BearerSecret::presented(&v))
}

/// Sets the cookie of a session that lives at most `max_age_seconds`.
pub fn set(res: &mut HttpResponseBuilder, value: &BearerSecret, max_age_seconds: u64) {
    res.cookie(
        Cookie::build(NAME, value.expose().to_owned())
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Strict)
            .path("/")
            .max_age(time::Duration::seconds(
                i64::try_from(max_age_seconds).unwrap_or(i64::MAX),
            ))
            .finish(),
    );
}

/// Removes the cookie.
pub fn clear(res: &mut HttpResponseBuilder) {
    let mut cookie = Cookie::build(NAME, "")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .finish();
    cookie.make_removal();
    res.cookie(cookie);
}
