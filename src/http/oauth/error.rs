use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::store::StoreError;
use crate::token::GrantError;

/// RFC 6749 §5.2 errors, as JSON `{"error", "error_description"}`.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    /// Unknown client, wrong secret, malformed secret: one answer for all, so nothing tells
    /// whether a client ID exists. `basic` adds the `WWW-Authenticate` challenge.
    #[error("client authentication failed")]
    InvalidClient { basic: bool },
    /// The right credentials of a client that may not get tokens now (disabled, its secret
    /// expired): told only to whoever proved they hold the secret.
    #[error("{reason}")]
    ClientRefused { basic: bool, reason: &'static str },
    #[error("only the client_credentials grant is supported")]
    UnsupportedGrantType,
    #[error("{0}")]
    InvalidScope(String),
    #[error("{0}")]
    InvalidTarget(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the request body did not arrive within {} seconds", .0.as_secs())]
    BodyTimeout(std::time::Duration),
    /// After the tarpit (`tarpit`): `close` when it had no place left.
    #[error("too many failed client authentications; retry after {} seconds", retry_after.as_secs())]
    RateLimited {
        retry_after: std::time::Duration,
        close: bool,
    },
    #[error("the service is temporarily unavailable, retry shortly")]
    Unavailable,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: String,
}

impl OAuthError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) | Self::PayloadTooLarge(_) | Self::BodyTimeout(_) => {
                "invalid_request"
            }
            Self::InvalidClient { .. } | Self::ClientRefused { .. } => "invalid_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope(_) => "invalid_scope",
            Self::InvalidTarget(_) => "invalid_target",
            Self::RateLimited { .. } | Self::Unavailable => "temporarily_unavailable",
        }
    }

    /// The `outcome` label of the token-request metric.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::PayloadTooLarge(_) | Self::BodyTimeout(_) => "invalid_request",
            other => other.code(),
        }
    }
}

impl From<GrantError> for OAuthError {
    fn from(e: GrantError) -> Self {
        match e {
            GrantError::UnknownAudience(_) => Self::InvalidTarget(e.to_string()),
            GrantError::RoleNotHeld(_) => Self::InvalidScope(e.to_string()),
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        log::warn!("token endpoint: {e}");
        Self::Unavailable
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::InvalidClient { .. } | Self::ClientRefused { .. } => StatusCode::UNAUTHORIZED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        super::add_no_store(&mut res);
        match self {
            Self::BodyTimeout(_) => {
                res.force_close();
            }
            Self::InvalidClient { basic: true } | Self::ClientRefused { basic: true, .. } => {
                res.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="orgauth""#));
            }
            Self::RateLimited { retry_after, close } => {
                res.insert_header((
                    header::RETRY_AFTER,
                    retry_after.as_secs().max(1).to_string(),
                ));
                if *close {
                    res.force_close();
                }
            }
            Self::Unavailable => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        res.json(ErrorBody {
            error: self.code(),
            error_description: self.to_string(),
        })
    }
}
