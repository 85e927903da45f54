//! The problem responses of the admin API, documented once: each operation lists the sets that
//! apply to it, and every set says what its statuses mean.

use utoipa::IntoResponses;

use super::problem::Problem;

/// What any operation may answer.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum CommonProblems {
    /// No valid bearer token: missing, malformed, expired, revoked, issued for another
    /// audience, or its client is gone.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The caller's roles do not allow this (or it may not act on a client holding a role it
    /// could not grant).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// Unexpected server error.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(Problem),
    /// The database is unreachable; retry (see `Retry-After`).
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Operations on a resource named in the path.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum NotFoundProblem {
    /// No such resource, or one in an organization the caller does not manage.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
}

/// Paginated lists.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum QueryProblems {
    /// `limit` out of range, or a `cursor` this server did not issue.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
}

/// Operations that change something.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ConflictProblem {
    /// The change conflicts with the current state (it exists, it is in use, or a concurrent
    /// change got there first).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
}

/// Operations that read a JSON body.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum BodyProblems {
    /// The body is not valid JSON.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// The body did not arrive in time.
    #[response(status = 408, content_type = "application/problem+json")]
    Timeout(Problem),
    /// The body is too large.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// A field is invalid; `field` names it.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(Problem),
}
