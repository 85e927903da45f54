//! Request bodies, for both surfaces: the media type a request declares, and reading a body
//! within a size limit and `BODY_READ_TIMEOUT`. Each surface maps `BodyError` to its own
//! error format once.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, web};

/// How long a request body may take to arrive once its headers have: a body that trickles
/// or never completes must not hold a connection and a worker's attention for ever.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub enum BodyError {
    TooLarge(usize),
    Timeout(Duration),
    Unreadable,
}

/// The request's media type without parameters (`application/json; charset=utf-8` →
/// `application/json`), lowercased; empty when there is none.
pub fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The whole body, at most `limit` bytes, within `BODY_READ_TIMEOUT`.
pub async fn read(payload: web::Payload, limit: usize) -> Result<web::Bytes, BodyError> {
    tokio::time::timeout(BODY_READ_TIMEOUT, payload.to_bytes_limited(limit))
        .await
        .map_err(|_| BodyError::Timeout(BODY_READ_TIMEOUT))?
        .map_err(|_| BodyError::TooLarge(limit))?
        .map_err(|_| BodyError::Unreadable)
}
