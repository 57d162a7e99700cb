//! Logging set-up: pretty output for people, JSON lines for machines. Never logs secrets: request
//! spans record the matched route pattern (`/link/{session_token}`), not the raw path or query.

use crate::settings::{LogFormat, LogSettings};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use std::io::IsTerminal;
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Safe to call more than once (later calls do nothing), which
/// lets every test start an application.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// Builds the per-request span with only non-sensitive fields.
pub struct SafeRootSpan;

impl RootSpanBuilder for SafeRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "http_request",
            http.method = %request.method(),
            http.route = tracing::field::Empty,
            http.status_code = tracing::field::Empty,
            api_key.id = tracing::field::Empty,
            request_id = %request_id,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        if let Ok(response) = outcome {
            let route = response.request().match_pattern();
            span.record("http.route", route.as_deref().unwrap_or("unmatched"));
            span.record("http.status_code", response.status().as_u16());
        }
    }
}
