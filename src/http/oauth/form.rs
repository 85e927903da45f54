//! Reading an `application/x-www-form-urlencoded` request body strictly: bounded size, the
//! right content type, valid UTF-8, and no parameter given twice (RFC 6749 §3.2).

use actix_web::HttpRequest;
use actix_web::web;

use super::OAuthError;
use crate::http::body::{self, BodyError};

/// Larger than any legitimate token, introspection or revocation request.
pub const BODY_LIMIT: usize = 16 * 1024;

pub struct Form(Vec<(String, String)>);

impl Form {
    pub async fn read(req: &HttpRequest, payload: web::Payload) -> Result<Self, OAuthError> {
        if body::media_type(req) != "application/x-www-form-urlencoded" {
            return Err(OAuthError::InvalidRequest(
                "the request body must be application/x-www-form-urlencoded".into(),
            ));
        }
        let body = body::read(payload, BODY_LIMIT).await.map_err(|e| match e {
            BodyError::TooLarge(limit) => OAuthError::PayloadTooLarge(limit),
            BodyError::Timeout(after) => OAuthError::BodyTimeout(after),
            BodyError::Unreadable => {
                OAuthError::InvalidRequest("the request body could not be read".into())
            }
        })?;
        Self::parse(&body)
    }

    /// The parameters of a form body, each at most once.
    pub fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let mut params: Vec<(String, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(body) {
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
