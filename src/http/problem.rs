//! RFC 9457 `application/problem+json` responses with a stable `code`.
//!
//! Which error where:
//! - **Domain parsers** (`domain::*::parse`) return [`Invalid`](crate::domain::Invalid): a field's
//!   code and sentence. Handlers collect them into [`FieldError`]s → 422 `validation_failed`.
//! - **Before a handler's own logic** (body, credentials, idempotency): [`RequestError`].
//! - **Services** return their own enum (`LinkError`, …) and know nothing of HTTP. Each maps to
//!   a [`Problem`] in one place, a `From` impl (`routes/link_errors.rs` for links, shared by the
//!   API and the code-entry page); so do [`RequestError`] and `DbError`.
//! - **Route handlers** return `Result<_, Problem>` and use `?`: there is no error enum per
//!   route, and one way from any error to its response.
//! - **The unexpected** (`Unexpected(anyhow::Error)`, a failed query) becomes an opaque 500 (or a
//!   503 when the database is unreachable). Building the problem does not log; the cause is
//!   logged once, when the problem becomes a response ([`Problem::response`], or
//!   [`Problem::log`] for a page that renders its own HTML).

use crate::db::DbError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub use super::request_error::{RequestError, ip_limited};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// An error response. `code` is stable and meant for programs; `title` and `detail` for people.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:wiselink:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// One entry per refused field (validation problems only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Wrong codes still allowed before the link locks (`invalid_code` problems).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_remaining: Option<i32>,
    #[serde(skip)]
    retry_after_secs: Option<u64>,
    #[serde(skip)]
    www_authenticate: bool,
    /// What to log when this becomes a response (internal detail, never sent).
    #[serde(skip)]
    log: Option<LogLine>,
}

#[derive(Debug, Clone)]
enum LogLine {
    Error(String),
    Warn(&'static str),
}

/// Why one field was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: &str, message: &str) -> Self {
        Self {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, title: &str) -> Self {
        Self {
            type_uri: format!("urn:wiselink:problem:{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail: None,
            errors: Vec::new(),
            attempts_remaining: None,
            retry_after_secs: None,
            www_authenticate: false,
            log: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn attempts_remaining(mut self, n: i32) -> Self {
        self.attempts_remaining = Some(n);
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after_secs
    }

    pub fn challenge(mut self) -> Self {
        self.www_authenticate = true;
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 422 with one entry per refused field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "The request has invalid fields",
        )
        .errors(errors)
    }

    /// An opaque 500. The cause is logged when the problem becomes a response; the response
    /// says nothing about it.
    pub fn unexpected(cause: &anyhow::Error) -> Self {
        let mut problem = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side",
        );
        problem.log = Some(LogLine::Error(format!("{cause:?}")));
        problem
    }

    /// Logs what went wrong on our side, if anything did. [`Problem::response`] calls this; a
    /// page that answers with its own HTML calls it instead.
    pub fn log(&self) {
        match &self.log {
            Some(LogLine::Error(cause)) => {
                tracing::error!(error.cause_chain = %cause, "request failed unexpectedly");
            }
            Some(LogLine::Warn(reason)) => tracing::warn!(reason, "database unavailable"),
            None => {}
        }
    }

    /// The response for a database failure: 503 when no connection could be had (or it was lost),
    /// else 500.
    pub fn database(e: &DbError) -> Self {
        let reason = match e {
            DbError::Unavailable(_) | DbError::ReadPool(_) => "no database connection available",
            DbError::Query(q) if crate::db::is_connection_lost(q) => "database connection lost",
            other => return Self::unexpected(&anyhow::anyhow!("{other}: {other:?}")),
        };
        let mut problem = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "The service is temporarily unavailable",
        )
        .retry_after(1);
        problem.log = Some(LogLine::Warn(reason));
        problem
    }

    pub fn response(&self) -> HttpResponse {
        self.log();
        let mut builder = HttpResponse::build(self.status());
        builder.content_type(CONTENT_TYPE);
        if let Some(secs) = self.retry_after_secs {
            builder.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.www_authenticate {
            builder.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        builder.json(self)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.title, self.code)
    }
}

impl From<DbError> for Problem {
    fn from(e: DbError) -> Self {
        Problem::database(&e)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.response()
    }
}

/// A query string the route cannot read (a parameter given twice, a malformed escape): a 400
/// problem, never the framework's plain-text error.
pub fn invalid_query(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    tracing::debug!(error = %err, "query string refused");
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        "Query string not valid",
    )
    .detail("Give each query parameter at most once, URL-encoded.")
    .into()
}

/// The answer to any path no route matches.
pub async fn not_found() -> HttpResponse {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "No such resource").response()
}

/// The answer to a known path called with a method it does not support.
pub async fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut response = Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
    )
    .detail(format!("This resource takes {allow}."))
    .response();
    response.headers_mut().insert(
        actix_web::http::header::ALLOW,
        actix_web::http::header::HeaderValue::from_static(allow),
    );
    response
}

#[cfg(test)]
mod tests;
