//! Operations endpoints: liveness and readiness.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::client_auth::blocking;
use crate::http::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

/// The process is up.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The store answers a query within the pool timeout.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let ping = blocking(move || {
        let mut conn = pool.get()?;
        diesel::connection::SimpleConnection::batch_execute(&mut *conn, "SELECT 1")
            .map_err(crate::store::StoreError::Query)
    })
    .await;
    match ping {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(e) => {
            log::warn!("readiness check failed: {e}");
            HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable"}))
        }
    }
}
