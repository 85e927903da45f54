//! Operations endpoints: liveness, readiness and Prometheus metrics; and the middleware that
//! measures every request.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use serde_json::json;

use crate::http::AppState;
use crate::metrics::METRICS;
use crate::store::{self, StoreError};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

/// The process is up.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Whether the store answers a query within the pool timeout (readiness).
async fn ready(state: &AppState) -> bool {
    let ping = store::run(&state.pool, |conn| {
        diesel::connection::SimpleConnection::batch_execute(conn, "SELECT 1")
            .map_err(StoreError::Query)
    })
    .await;
    if let Err(e) = &ping {
        log::warn!("readiness check failed: {e}");
    }
    let ready = ping.is_ok();
    METRICS.ready.set(i64::from(ready));
    ready
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.key_reloader.has_unreadable_keys() {
        METRICS.ready.set(0);
        return HttpResponse::ServiceUnavailable().json(
            json!({"status": "unavailable", "reason": "signing keys this instance cannot open"}),
        );
    }
    if ready(&state).await {
        HttpResponse::Ok().json(json!({"status": "ready"}))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable"}))
    }
}

/// Prometheus text exposition.
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    if ready(&state).await && state.key_reloader.has_unreadable_keys() {
        METRICS.ready.set(0);
    }
    let pool = state.pool.state();
    METRICS.pool_connections.set(i64::from(pool.connections));
    METRICS
        .pool_idle_connections
        .set(i64::from(pool.idle_connections));
    let now = chrono::Utc::now().naive_utc();
    let key = state.issuer.keys();
    let signing = key.active_at(now);
    METRICS
        .signing_key_age
        .set((now - signing.created).as_seconds_f64().max(0.0));
    METRICS.change_confirmation_age.set(
        state
            .authenticator
            .confirmation_age()
            .map_or(-1.0, |age| age.as_secs_f64()),
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(METRICS.render())
}

/// The method as a metric label: the standard ones by name, anything else `other`, so a
/// caller inventing methods cannot grow the label set (and `/metrics`) without bound.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route pattern of a request, as the metrics label it (unmatched paths share one), kept
/// for the request log.
pub struct RouteLabel(pub String);

/// The port of the operations listener (`ORGAUTH_OPS_BIND`), when there is one.
#[derive(Clone, Copy)]
pub struct OpsListener(pub Option<u16>);

fn is_ops_path(path: &str) -> bool {
    matches!(path, "/metrics" | "/healthz" | "/readyz")
}

/// With `ORGAUTH_OPS_BIND`, the operations listener serves only `/metrics`, `/healthz` and
/// `/readyz`, and the main listener no longer serves `/metrics` (the health endpoints stay,
/// for load balancers): everything else is `404` on the listener it does not belong to.
pub async fn separate_listeners(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let ops_port = req.app_data::<OpsListener>().and_then(|o| o.0);
    if let Some(ops_port) = ops_port {
        let on_ops = req.app_config().local_addr().port() == ops_port;
        let allowed = if on_ops {
            is_ops_path(req.path())
        } else {
            req.path() != "/metrics"
        };
        if !allowed {
            let res = HttpResponse::NotFound().finish();
            return Ok(req.into_response(res));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Latency per route pattern (bounded label values: unmatched paths share one), every
/// request by method, route and status class, and admin requests by status.
pub async fn measure(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(res.request().method());
    METRICS
        .request_duration
        .with_label_values(&[method, &route])
        .observe(started.elapsed().as_secs_f64());
    let class = match res.status().as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    };
    METRICS
        .http_requests
        .with_label_values(&[method, &route, class])
        .inc();
    if route.starts_with("/admin/") {
        METRICS
            .admin_requests
            .with_label_values(&[res.status().as_str()])
            .inc();
    }
    res.request().extensions_mut().insert(RouteLabel(route));
    Ok(res)
}
