//! RFC 9457 problem details: every error under `/admin` is `application/problem+json`
//! `{type, title, status, detail}`, plus `field` when one input field is at fault.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::ServiceError;
use crate::store::StoreError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status code says what kind of problem it is.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: &'static str,
    #[schema(example = "Unprocessable Entity")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    #[schema(example = "roles: not in the role catalog: billing:admin")]
    pub detail: String,
    /// The request field at fault, for input errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "roles")]
    pub field: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing, malformed, expired or revoked bearer token, or a deleted caller.
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Input that could not be parsed (400) or that parsed but is invalid (422).
    #[error("{detail}")]
    Invalid {
        status: StatusCode,
        field: Option<String>,
        detail: String,
    },
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the request body did not arrive within {} seconds", .0.as_secs())]
    BodyTimeout(std::time::Duration),
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    #[error("the service is temporarily unavailable, retry shortly")]
    Unavailable,
    #[error("internal error")]
    Internal,
    /// Too many failures from this address: retry after this many seconds.
    #[error("too many failed attempts from this address; retry in {0} seconds")]
    TooManyRequests(u64),
    /// A person's change needs a sign-in within this many seconds (RFC 9470).
    #[error("this change needs a recent sign-in: sign in again (passkey or SSO) and retry")]
    StepUp(u64),
}

impl ApiError {
    pub fn unprocessable(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Invalid {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            field: Some(field.into()),
            detail: detail.into(),
        }
    }

    pub fn bad_request(field: Option<String>, detail: impl Into<String>) -> Self {
        Self::Invalid {
            status: StatusCode::BAD_REQUEST,
            field,
            detail: detail.into(),
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            Self::Invalid { field, .. } => field.clone(),
            _ => None,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid { field, message } => {
                Self::unprocessable(field, format!("{field}: {message}"))
            }
            ServiceError::Forbidden(m) => Self::Forbidden(m),
            ServiceError::NotFound(what) => Self::NotFound(format!("{what} not found")),
            ServiceError::Conflict(m) => Self::Conflict(m),
            ServiceError::Store(e) => e.into(),
            ServiceError::Keys(e) => {
                log::error!("admin API: {e}");
                Self::Internal
            }
            ServiceError::Internal(e) => {
                log::error!("admin API: {e}");
                Self::Internal
            }
            ServiceError::StepUpRequired(max_age) => Self::StepUp(max_age),
            ServiceError::Busy(m) => {
                log::warn!("admin API: {m}");
                Self::Unavailable
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_transient() {
            log::warn!("admin API: database unavailable: {e}");
            Self::Unavailable
        } else {
            log::error!("admin API: {e}");
            Self::Internal
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) | Self::StepUp(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Invalid { status, .. } => *status,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut res = problem_response(status, self.to_string(), self.field());
        match self {
            Self::Unauthorized(_) => {
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer realm="orgauth", error="invalid_token""#),
                );
            }
            Self::StepUp(max_age) => {
                if let Ok(value) = HeaderValue::from_str(&format!(
                    r#"Session error="insufficient_user_authentication", max_age={max_age}"#
                )) {
                    res.headers_mut().insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Self::Unavailable => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::TooManyRequests(seconds) => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*seconds));
            }
            Self::BodyTimeout(_) => {
                res.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        res
    }
}

pub fn problem_response(status: StatusCode, detail: String, field: Option<String>) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(PROBLEM_JSON)
        .json(Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            field,
        })
}

/// Safety net for errors produced outside our handlers (no route, wrong method, actix's own
/// extractor errors): any error response that is not already a problem document becomes one.
pub fn ensure_problem<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = match status {
        StatusCode::NOT_FOUND => "no such resource".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed on this resource".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_owned(),
        s => s.canonical_reason().unwrap_or("error").to_owned(),
    };
    let (req, _) = res.into_parts();
    let problem: HttpResponse<BoxBody> = problem_response(status, detail, None);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, problem).map_into_right_body(),
    ))
}
