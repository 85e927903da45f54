//! The web console at `/console`: one HTML page, a script and a stylesheet, embedded in the
//! binary (no CDN, no build step), talking to the admin API with an in-memory token. Served
//! with a strict Content-Security-Policy: no inline script or style, no framing, no referrer.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const INDEX: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("console.js");
const STYLE: &str = include_str!("console.css");

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
    img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/console", web::get().to(index))
        .route("/console/", web::get().to(index))
        .route("/console/console.js", web::get().to(script))
        .route("/console/console.css", web::get().to(style));
}

fn asset(content_type: &'static str, body: &'static str, cache: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body)
}

async fn index() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX, "no-store")
}

async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT, "no-cache")
}

async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE, "no-cache")
}
