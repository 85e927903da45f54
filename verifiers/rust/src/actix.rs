//! An actix-web extractor: `VerifiedToken` in a handler's arguments verifies the request's
//! bearer token with the `web::Data<Verifier>` the app holds, or answers `401` with
//! `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};

use crate::{Claims, Verifier, VerifyError};

/// The claims of the request's verified access token.
pub struct VerifiedToken(pub Claims);

/// A refusal as an actix-web error.
#[derive(Debug)]
pub struct Refused(pub VerifyError);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for Refused {
    fn error_response(&self) -> HttpResponse {
        let (status, code) = match self.0 {
            VerifyError::MissingRole(_) => (403, "insufficient_scope"),
            VerifyError::StatusUnavailable(_) | VerifyError::KeysUnavailable(_) => {
                (503, "temporarily_unavailable")
            }
            _ => (401, "invalid_token"),
        };
        let description = self.0.to_string().replace('"', "'");
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or_default())
            .insert_header((
                header::WWW_AUTHENTICATE,
                format!("Bearer error=\"{code}\", error_description=\"{description}\""),
            ))
            .json(serde_json::json!({"error": code, "error_description": self.0.to_string()}))
    }
}

impl FromRequest for VerifiedToken {
    type Error = Refused;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Refused>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = req.app_data::<web::Data<Verifier>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.get(..7)
                    .filter(|p| p.eq_ignore_ascii_case("bearer "))
                    .map(|_| v[7..].trim().to_owned())
            });
        Box::pin(async move {
            let verifier = verifier.ok_or_else(|| {
                Refused(VerifyError::KeysUnavailable(
                    "no Verifier in the app's data".into(),
                ))
            })?;
            let token =
                token.ok_or_else(|| Refused(VerifyError::Malformed("no bearer token".into())))?;
            verifier
                .verify(&token)
                .await
                .map(VerifiedToken)
                .map_err(Refused)
        })
    }
}
