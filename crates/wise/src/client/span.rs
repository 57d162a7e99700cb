//! One span per attempt at a Wise call, from waiting for the call budget to reading the answer:
//! the operation, the attempt, Wise's `x-trace-id` and the outcome. Exported as an OpenTelemetry
//! client span when traces are on; a child of whatever span called (a request, a refresh).

use super::Request;
use crate::budget::CallClass;
use crate::error::WiseError;
use tracing::Span;

pub(super) fn attempt_span(req: &Request, attempt: u32, class: CallClass) -> Span {
    tracing::info_span!(
        "wise_call",
        otel.name = %format_args!("Wise {}", req.operation),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        wise.operation = req.operation,
        wise.attempt = attempt,
        wise.budget_class = class.as_str(),
        http.method = %req.method,
        http.status_code = tracing::field::Empty,
        wise.trace_id = tracing::field::Empty,
        outcome = tracing::field::Empty,
    )
}

/// Records what Wise answered (inside the span, as soon as the answer's head is read).
pub(super) fn record_answer(status: u16, trace_id: Option<&str>) {
    let span = Span::current();
    span.record("http.status_code", status);
    if let Some(id) = trace_id {
        span.record("wise.trace_id", id);
    }
}

/// Records how the attempt ended: the outcome of `wiselink_wise_calls_total`, or `throttled` /
/// `out_of_time` for a call the budget or the step's deadline kept from being sent.
pub(super) fn record_outcome<T>(span: &Span, outcome: &Result<T, WiseError>) {
    let name = match outcome {
        Ok(_) => "ok",
        Err(e) => outcome_of(e),
    };
    span.record("outcome", name);
    if outcome.is_err() {
        span.record("otel.status_code", "error");
    }
}

/// The outcome name of a failed attempt.
pub(super) fn outcome_of(e: &WiseError) -> &'static str {
    match e {
        WiseError::Api(e) => status_outcome(e.status),
        WiseError::Transport { .. } => "transport",
        WiseError::Throttled { .. } => "throttled",
        WiseError::OutOfTime { .. } => "out_of_time",
        WiseError::Decode { .. } => "undecodable",
        WiseError::Config(_) => "config",
    }
}

/// The outcome an answer's status stands for.
pub(super) fn status_outcome(status: u16) -> &'static str {
    match status {
        200..=299 => "ok",
        429 => "rate_limited",
        400..=499 => "refused",
        _ => "server_error",
    }
}
