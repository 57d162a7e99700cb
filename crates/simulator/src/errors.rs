//! Wise's three error body shapes, as the simulator sends them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

/// A non-2xx answer from the simulated Wise.
#[derive(Debug, Clone)]
pub struct WiseReply {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<u64>,
}

impl WiseReply {
    pub fn new(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            retry_after: None,
        }
    }

    /// `{"error": …, "error_description": …}` (token endpoint, bad bearer tokens).
    pub fn oauth(status: u16, error: &str, description: &str) -> Self {
        Self::new(
            status,
            json!({"error": error, "error_description": description}),
        )
    }

    pub fn invalid_grant(status: u16, description: &str) -> Self {
        Self::oauth(status, "invalid_grant", description)
    }

    pub fn invalid_request(description: &str) -> Self {
        Self::oauth(400, "invalid_request", description)
    }

    /// 401 for an unknown, expired or revoked bearer token; Wise echoes the token back.
    pub fn invalid_token(token: &str) -> Self {
        Self::oauth(401, "invalid_token", token)
    }

    /// `{"errors": [{code, message, path, arguments}]}` (validation and conflicts).
    pub fn errors(status: u16, items: Vec<(&str, &str, &str, Vec<String>)>) -> Self {
        let errors: Vec<Value> = items
            .into_iter()
            .map(|(code, message, path, arguments)| json!({"code": code, "message": message, "path": path, "arguments": arguments}))
            .collect();
        Self::new(status, json!({ "errors": errors }))
    }

    /// Spring-style `{"timestamp", "status", "error", "message", "path"}` (403s, server errors).
    pub fn spring(status: u16, error: &str, message: &str, path: &str) -> Self {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        Self::new(
            status,
            json!({"timestamp": now, "status": status, "error": error, "message": message, "path": path}),
        )
    }

    pub fn forbidden(path: &str) -> Self {
        Self::spring(403, "unauthorized", "Unauthorized", path)
    }

    pub fn not_found(path: &str) -> Self {
        Self::spring(404, "not_found", "Not Found", path)
    }

    pub fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut builder = HttpResponse::build(status);
        if let Some(secs) = self.retry_after {
            builder.insert_header(("Retry-After", secs.to_string()));
            builder.insert_header(("X-Rate-Limited-By", "wise-public-api"));
        }
        builder.json(&self.body)
    }
}

impl std::fmt::Display for WiseReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "simulated Wise answered {}", self.status)
    }
}

impl ResponseError for WiseReply {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        self.response()
    }
}
