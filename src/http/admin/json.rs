//! A strict JSON body extractor: bounded size, `application/json`, and errors that name the
//! offending field (`roles[1]: invalid type: integer, expected a string`) as problem+json.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use super::problem::ApiError;
use crate::http::body::{self, BodyError};

pub const BODY_LIMIT: usize = 64 * 1024;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> ApiJson<T> {
    /// For endpoints whose body is optional: an empty body is `T::default()`.
    pub fn parse_optional(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        parse(req, body)
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = web::Payload::from_request(&req, payload).into_inner();
        Box::pin(async move {
            let body = read_limited(payload.map_err(|_| ApiError::Internal)?).await?;
            parse(&req, &body).map(ApiJson)
        })
    }
}

pub async fn read_limited(payload: web::Payload) -> Result<web::Bytes, ApiError> {
    body::read(payload, BODY_LIMIT).await.map_err(|e| match e {
        BodyError::TooLarge(limit) => ApiError::PayloadTooLarge(limit),
        BodyError::Timeout(after) => ApiError::BodyTimeout(after),
        BodyError::Unreadable => ApiError::bad_request(None, "the request body could not be read"),
    })
}

fn parse<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    let media_type = body::media_type(req);
    if !(media_type == "application/json" || media_type.ends_with("+json")) {
        return Err(ApiError::UnsupportedMediaType);
    }
    parse_json(body)
}

/// A JSON body as `T`, or the problem that names what is wrong with it: `422` naming the
/// field for a value of the wrong kind, `400` for a body that is not JSON.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = (path != ".")
            .then_some(path)
            .or_else(|| missing_field(&inner));
        if inner.is_data() {
            let detail = match &field {
                Some(f) => format!("{f}: {inner}"),
                None => inner.to_string(),
            };
            ApiError::Invalid {
                status: actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                field,
                detail,
            }
        } else {
            malformed(inner)
        }
    })?;
    de.end().map_err(malformed)?;
    Ok(value)
}

fn malformed(e: serde_json::Error) -> ApiError {
    ApiError::bad_request(None, format!("the request body is not valid JSON: {e}"))
}

/// serde reports a missing field at its parent's path; name the field itself.
fn missing_field(e: &serde_json::Error) -> Option<String> {
    let message = e.to_string();
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// A WebAuthn credential (or another nested document) from a parsed body: `422` naming the
/// `credential` field when it does not have the expected shape.
pub fn credential<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        ApiError::unprocessable(
            "credential",
            format!(
                "credential: not a WebAuthn credential ({} at {})",
                e.inner(),
                e.path()
            ),
        )
    })
}
