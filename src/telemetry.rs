//! Logging and tracing set-up: pretty output for people, JSON lines for machines, and optionally
//! OpenTelemetry traces ([`traces`]). Never logs secrets: request spans record the matched route
//! pattern (`/link/{session_token}`), not the raw path or query.

mod traces;

pub use traces::{TraceExport, continue_trace, current_traceparent};

use crate::settings::{LogFormat, LogSettings, TraceSettings};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// `traces.accept_traceparent`, read by every request's root span.
static ACCEPT_TRACEPARENT: AtomicBool = AtomicBool::new(false);

/// Installs the global subscriber, with the OTLP exporter when `traces` asks for it; keep the
/// returned exporter until the process ends (dropping it sends the last spans). Safe to call more
/// than once (later calls change nothing), which lets every test start an application.
pub fn init(log: &LogSettings, traces: &TraceSettings) -> Result<Option<TraceExport>, String> {
    let logs = EnvFilter::try_new(&log.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let (export, tracer) = TraceExport::start(traces)?.unzip();
    // Traces have a filter of their own: logs at `warn` still leave every request traced.
    let otel = tracer.map(|t| {
        tracing_opentelemetry::layer()
            .with_tracer(t)
            .with_location(false)
            .with_threads(false)
            .with_filter(
                EnvFilter::try_new(&traces.filter).unwrap_or_else(|_| EnvFilter::new("info")),
            )
    });
    let ansi = std::io::stderr().is_terminal();
    let registry = tracing_subscriber::registry().with(otel);
    let installed = match log.format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(std::io::stderr)
                    .with_ansi(ansi)
                    .with_filter(logs),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .compact()
                    .with_writer(std::io::stderr)
                    .with_ansi(ansi)
                    .with_filter(logs),
            )
            .try_init(),
    };
    if installed.is_ok() {
        ACCEPT_TRACEPARENT.store(traces.accept_traceparent, Ordering::Relaxed);
        traces::set_exporting(export.is_some());
    }
    Ok(export)
}

/// Paths probed every few seconds by proxies and monitors: no span, so traces are not drowned.
const PROBES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Builds the per-request span with only non-sensitive fields.
pub struct SafeRootSpan;

impl RootSpanBuilder for SafeRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        if PROBES.contains(&request.path()) {
            return Span::none();
        }
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let span = tracing::info_span!(
            "http_request",
            otel.name = %request.method(),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            http.method = %request.method(),
            http.route = tracing::field::Empty,
            http.status_code = tracing::field::Empty,
            api_key.id = tracing::field::Empty,
            request_id = %request_id,
        );
        if ACCEPT_TRACEPARENT.load(Ordering::Relaxed) {
            traces::continue_callers_trace(&span, request.headers());
        }
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        if let Ok(response) = outcome {
            let request = response.request();
            let route = request.match_pattern();
            let route = route.as_deref().unwrap_or("unmatched");
            let status = response.status();
            traces::rename(&span, || format!("{} {route}", request.method()));
            span.record("http.route", route);
            span.record("http.status_code", status.as_u16());
            if status.is_server_error() {
                span.record("otel.status_code", "error");
            }
        }
    }
}
