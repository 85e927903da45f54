//! Reading an `application/x-www-form-urlencoded` request body strictly: bounded size, the
//! right content type, valid UTF-8, and no parameter given twice (RFC 6749 §3.2).

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web;

use super::OAuthError;
use crate::http::BODY_READ_TIMEOUT;

/// Larger than any legitimate token, introspection or revocation request.
pub const BODY_LIMIT: usize = 16 * 1024;

pub struct Form(Vec<(String, String)>);

impl Form {
    pub async fn read(req: &HttpRequest, payload: web::Payload) -> Result<Self, OAuthError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::InvalidRequest(
                "the request body must be application/x-www-form-urlencoded".into(),
            ));
        }
        let body = tokio::time::timeout(BODY_READ_TIMEOUT, payload.to_bytes_limited(BODY_LIMIT))
            .await
            .map_err(|_| OAuthError::BodyTimeout(BODY_READ_TIMEOUT))?
            .map_err(|_| OAuthError::PayloadTooLarge(BODY_LIMIT))?
            .map_err(|_| OAuthError::InvalidRequest("the request body could not be read".into()))?;
        let mut params: Vec<(String, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(&body) {
            if name.contains('\u{FFFD}') || value.contains('\u{FFFD}') {
                return Err(OAuthError::InvalidRequest(
                    "the request body is not valid UTF-8 after percent-decoding".into(),
                ));
            }
            if params.iter().any(|(n, _)| *n == name) {
                return Err(OAuthError::InvalidRequest(format!(
                    "parameter {name} is repeated"
                )));
            }
            params.push((name.into_owned(), value.into_owned()));
        }
        Ok(Self(params))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}
