//! One log line per request, and its request ID.
//!
//! The ID comes from the caller's `X-Request-Id` when that is 1–128 characters of
//! `A-Z a-z 0-9 . _ : -` (anything else is ignored, so no caller can forge log lines), or is
//! generated; it is echoed in the response's `X-Request-Id` and carried in the log line with
//! the method, the route pattern (not the raw path: no IDs or query strings), the status, the
//! latency, the client ID (the authenticated one, or the one a failed authentication
//! attempted) and the address the rate limiter counted.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::domain::random_base62;
use crate::http::ops::RouteLabel;
use crate::http::{LoggedAddress, LoggedClient};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's ID (in the request's extensions).
#[derive(Clone)]
pub struct RequestId(pub String);

fn presented(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(&REQUEST_ID)?.to_str().ok()?;
    let valid = (1..=128).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
    valid.then(|| value.to_owned())
}

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = presented(&req).unwrap_or_else(|| random_base62(22));
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = next.call(req).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    let request = res.request();
    // The route label `ops::measure` already looked up for this request.
    let route = request
        .extensions()
        .get::<RouteLabel>()
        .map_or_else(|| "unmatched".to_owned(), |r| r.0.clone());
    // Probes and scrapes come every few seconds from every kubelet and Prometheus: at debug.
    let level = match route.as_str() {
        "/healthz" | "/readyz" | "/metrics" => log::Level::Debug,
        _ => log::Level::Info,
    };
    if !log::log_enabled!(target: "orgauth::request", level) {
        return Ok(res);
    }
    let client = request
        .extensions()
        .get::<LoggedClient>()
        .map_or_else(|| "-".to_owned(), |c| c.0.clone());
    let remote = request
        .extensions()
        .get::<LoggedAddress>()
        .map(|a| a.0.to_string())
        .or_else(|| request.peer_addr().map(|a| a.ip().to_string()))
        .unwrap_or_else(|| "-".to_owned());
    let method = request.method().as_str().to_owned();
    let status = res.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    log::log!(
        target: "orgauth::request",
        level,
        request_id = id.as_str(),
        method = method.as_str(),
        route = route.as_str(),
        status = status,
        latency_ms = (latency_ms * 1000.0).round() / 1000.0,
        client_id = client.as_str(),
        remote = remote.as_str();
        "{method} {route} {status}"
    );
    Ok(res)
}
