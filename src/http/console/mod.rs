//! The web console at `/console`: one HTML page, its ES modules (`js/`, `main.js` imports the
//! rest) and a stylesheet, embedded in the binary (no CDN, no build step), talking to the admin
//! API as a person (a session cookie, the CSRF token in memory). Served with a strict Content-Security-Policy: no inline script
//! or style, no framing, no referrer.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const INDEX: &str = include_str!("index.html");
const STYLE: &str = include_str!("console.css");

/// Every module of the console, by the name it is served under at `/console/js/<name>`.
pub const MODULES: &[(&str, &str)] = &[
    ("account.js", include_str!("js/account.js")),
    ("api.js", include_str!("js/api.js")),
    ("audit-log.js", include_str!("js/audit-log.js")),
    ("audit-sentences.js", include_str!("js/audit-sentences.js")),
    ("client-actions.js", include_str!("js/client-actions.js")),
    ("client-dialog.js", include_str!("js/client-dialog.js")),
    ("client-page.js", include_str!("js/client-page.js")),
    ("clients-list.js", include_str!("js/clients-list.js")),
    ("dialogs.js", include_str!("js/dialogs.js")),
    ("dom.js", include_str!("js/dom.js")),
    ("feedback.js", include_str!("js/feedback.js")),
    ("format.js", include_str!("js/format.js")),
    ("invitation.js", include_str!("js/invitation.js")),
    ("jwk.js", include_str!("js/jwk.js")),
    ("key-dialogs.js", include_str!("js/key-dialogs.js")),
    ("main.js", include_str!("js/main.js")),
    ("members.js", include_str!("js/members.js")),
    ("org-settings.js", include_str!("js/org-settings.js")),
    ("organizations.js", include_str!("js/organizations.js")),
    ("presets.js", include_str!("js/presets.js")),
    ("quick-start.js", include_str!("js/quick-start.js")),
    ("router.js", include_str!("js/router.js")),
    ("secret-dialog.js", include_str!("js/secret-dialog.js")),
    ("session.js", include_str!("js/session.js")),
    ("sso-settings.js", include_str!("js/sso-settings.js")),
    ("state.js", include_str!("js/state.js")),
    ("trust-dialog.js", include_str!("js/trust-dialog.js")),
    ("trust-platforms.js", include_str!("js/trust-platforms.js")),
    ("trust-policies.js", include_str!("js/trust-policies.js")),
    ("webauthn.js", include_str!("js/webauthn.js")),
    (
        "workload-quick-start.js",
        include_str!("js/workload-quick-start.js"),
    ),
];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
    img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/console", web::get().to(index))
        .route("/console/", web::get().to(index))
        .route("/console/js/{name}", web::get().to(module))
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

/// A module by name, looked up in the fixed list (so no path reaches the file system).
async fn module(name: web::Path<String>) -> HttpResponse {
    match MODULES.iter().find(|(module, _)| *module == name.as_str()) {
        Some(&(_, body)) => asset("text/javascript; charset=utf-8", body, "no-cache"),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE, "no-cache")
}
