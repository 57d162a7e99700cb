//! What can go wrong with an API request before its own logic runs: the body, credentials,
//! idempotency, the per-address limit — each with its problem.

use super::problem::Problem;
use crate::db::DbError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// Problems any API request can have before its own logic runs: body, credentials, idempotency.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("malformed JSON")]
    MalformedJson { line: usize, column: usize },
    #[error("body is not a JSON object")]
    NotAnObject,
    #[error("could not read the request body")]
    BodyUnreadable,
    /// The body did not arrive within `server.request_read_timeout_secs`.
    #[error("the request body did not arrive in time")]
    BodyTimeout { secs: u64 },
    #[error("missing credentials")]
    MissingCredentials,
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A test key, while `wise.api_url` is not the simulator.
    #[error("test key outside the simulator")]
    TestKeyOutsideSimulator,
    /// A path only another kind of caller can see (a live key on a test trigger).
    #[error("no such resource")]
    NotFound,
    #[error("invalid Idempotency-Key")]
    InvalidIdempotencyKey,
    #[error("Idempotency-Key reused with another request")]
    IdempotencyKeyReused,
    #[error("request with this Idempotency-Key still in progress")]
    IdempotencyInProgress,
    /// A stored response does not open with the key ring (a key was dropped too early).
    #[error("a stored response does not open: {0}")]
    StoredResponseUnreadable(String),
    /// Too many requests from the client's address (`limits.code_submissions_per_ip_per_minute`).
    #[error("too many requests from this address")]
    IpLimited { retry_after_secs: u64 },
    /// A part the app was built without (a wiring mistake, never the client's).
    #[error("{0} is missing from the app's data")]
    NotWired(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl RequestError {
    pub fn problem(&self) -> Problem {
        use StatusCode as S;
        match self {
            Self::UnsupportedMediaType => Problem::new(S::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Unsupported media type")
                .detail("Send the body as application/json."),
            Self::PayloadTooLarge { limit } => Problem::new(S::PAYLOAD_TOO_LARGE, "payload_too_large", "Request body too large")
                .detail(format!("The body may be at most {limit} bytes.")),
            Self::MalformedJson { line, column } => Problem::new(S::BAD_REQUEST, "malformed_json", "Malformed JSON")
                .detail(format!("The body is not valid JSON (line {line}, column {column}).")),
            Self::NotAnObject => Problem::new(S::BAD_REQUEST, "malformed_json", "Malformed JSON")
                .detail("The body must be a JSON object."),
            Self::BodyUnreadable => Problem::new(S::BAD_REQUEST, "body_unreadable", "The request body could not be read"),
            Self::BodyTimeout { secs } => Problem::new(S::REQUEST_TIMEOUT, "request_timeout", "The request body did not arrive in time")
                .detail(format!("The whole body must arrive within {secs} s of the request.")),
            Self::MissingCredentials => Problem::new(S::UNAUTHORIZED, "missing_credentials", "Authentication required")
                .detail("Send an API key as `Authorization: Bearer <key>`.")
                .challenge(),
            Self::InvalidCredentials => Problem::new(S::UNAUTHORIZED, "invalid_credentials", "Invalid credentials")
                .detail("The API key is unknown, malformed or revoked.")
                .challenge(),
            Self::TestKeyOutsideSimulator => Problem::new(S::FORBIDDEN, "test_key_outside_simulator", "Test keys work only against the simulator")
                .detail("This wiselink talks to Wise, not to the simulator. Use a live key."),
            Self::NotFound => Problem::new(S::NOT_FOUND, "not_found", "No such resource"),
            Self::InvalidIdempotencyKey => Problem::new(S::BAD_REQUEST, "invalid_idempotency_key", "Invalid Idempotency-Key")
                .detail("Idempotency-Key must be 1 to 255 visible ASCII characters."),
            Self::IdempotencyKeyReused => Problem::new(S::UNPROCESSABLE_ENTITY, "idempotency_key_reused", "Idempotency-Key reused")
                .detail("This Idempotency-Key was used with a different request. Use a new key for a new request."),
            Self::IdempotencyInProgress => Problem::new(S::CONFLICT, "idempotency_request_in_progress", "Request in progress")
                .detail("A request with this Idempotency-Key is still being processed. Retry shortly.")
                .retry_after(1),
            Self::StoredResponseUnreadable(reason) => {
                Problem::unexpected(&anyhow::anyhow!("stored response: {reason}"))
            }
            Self::IpLimited { retry_after_secs } => ip_limited(*retry_after_secs),
            Self::NotWired(part) => Problem::unexpected(&anyhow::anyhow!("{part} is not wired")),
            Self::Db(e) => Problem::database(e),
        }
    }
}

/// Too many requests from one client address (counted per instance).
pub fn ip_limited(retry_after_secs: u64) -> Problem {
    Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "Too many requests",
    )
    .detail("Too many codes from this address. Wait for the time in Retry-After.")
    .retry_after(retry_after_secs)
}

impl ResponseError for RequestError {
    fn status_code(&self) -> StatusCode {
        self.problem().status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = self.problem().response();
        if matches!(self, Self::BodyTimeout { .. }) {
            // The rest of the body may still come: this connection cannot carry another request.
            response
                .head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
        }
        response
    }
}

impl From<RequestError> for Problem {
    fn from(e: RequestError) -> Self {
        e.problem()
    }
}
