//! OpenTelemetry traces: the OTLP exporter behind `[traces]`, and W3C trace context carried from a
//! request into the work it leaves for a worker (a queued email, a partner event).
//!
//! Spans come from `tracing`: every span and event `traces.filter` lets through is exported with
//! its fields, so spans carry exactly what the logs carry. `otel.name`, `otel.kind` and
//! `otel.status_code` fields name the span, its kind and its status.

use crate::settings::TraceSettings;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Whether this process exports spans: without an exporter, nothing below has any work to do, and
/// the request path skips it.
static EXPORTING: AtomicBool = AtomicBool::new(false);

pub(super) fn set_exporting(on: bool) {
    EXPORTING.store(on, Ordering::Relaxed);
}

fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// The exporter of a process, flushed and stopped when dropped (the end of `main`).
pub struct TraceExport {
    provider: SdkTracerProvider,
}

impl TraceExport {
    /// Builds the exporter `settings` asks for, or `None` when traces are off.
    pub(super) fn start(settings: &TraceSettings) -> Result<Option<(Self, SdkTracer)>, String> {
        if !settings.enabled() {
            return Ok(None);
        }
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(settings.otlp_endpoint.clone())
            .with_timeout(Duration::from_millis(settings.export_timeout_ms))
            .build()
            .map_err(|e| format!("the OTLP exporter cannot start: {e}"))?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
                settings.sample_ratio,
            ))))
            .with_resource(
                Resource::builder()
                    .with_service_name(settings.service_name.clone())
                    .build(),
            )
            .build();
        let tracer = provider.tracer("wiselink");
        Ok(Some((Self { provider }, tracer)))
    }
}

impl Drop for TraceExport {
    fn drop(&mut self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("traces: the last spans were not all exported: {e}");
        }
    }
}

/// The current span's W3C `traceparent`, to store with work a worker will do on its behalf.
/// `None` when traces are off or the span is not recorded.
pub fn current_traceparent() -> Option<String> {
    if !exporting() {
        return None;
    }
    let context = Span::current().context();
    let mut carrier = Carrier::default();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.0
}

/// Makes `span` (not yet entered) continue the trace `traceparent` names, if it names one.
pub fn continue_trace(span: &Span, traceparent: Option<&str>) {
    let Some(value) = traceparent else { return };
    let context = TraceContextPropagator::new().extract(&Carrier(Some(value.to_owned())));
    // Without the exporter there is nothing to continue: that error is expected.
    let _ = span.set_parent(context);
}

/// Names the OpenTelemetry span of `span`, already started (an `otel.name` recorded then is not
/// applied): a request's span learns its route only once routed.
pub fn rename(span: &Span, name: impl FnOnce() -> String) {
    use opentelemetry::trace::TraceContextExt;
    if !exporting() {
        return;
    }
    let name = name();
    span.context().span().update_name(name);
}

/// Makes `span` continue the trace of the `traceparent` header a caller sent.
pub fn continue_callers_trace(span: &Span, headers: &actix_web::http::header::HeaderMap) {
    let value = headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        // A W3C traceparent is 55 characters; anything much longer is not one.
        .filter(|v| v.len() <= 64);
    continue_trace(span, value);
}

/// Holds the one header the W3C propagator reads and writes.
#[derive(Default)]
struct Carrier(Option<String>);

impl Injector for Carrier {
    fn set(&mut self, key: &str, value: String) {
        if key == "traceparent" {
            self.0 = Some(value);
        }
    }
}

impl Extractor for Carrier {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "traceparent")
            .then_some(self.0.as_deref())
            .flatten()
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent"]
    }
}
