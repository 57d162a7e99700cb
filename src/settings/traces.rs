//! `[traces]`: OpenTelemetry traces sent over OTLP/HTTP to the operator's collector. Off unless an
//! endpoint is set.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSettings {
    /// The collector's OTLP/HTTP traces URL (`http://collector:4318/v1/traces`); empty: off.
    pub otlp_endpoint: String,
    /// `service.name` on every span.
    pub service_name: String,
    /// `tracing` filter directives for what is exported, apart from `log.filter`.
    pub filter: String,
    /// Share of new traces kept, 0.0 to 1.0. A request whose caller sent a `traceparent` follows
    /// the caller's decision when `accept_traceparent` is on.
    pub sample_ratio: f64,
    /// Continue the trace a caller's W3C `traceparent` header names.
    pub accept_traceparent: bool,
    /// Longest one export to the collector may take; spans of an export that fails are dropped.
    pub export_timeout_ms: u64,
}

impl TraceSettings {
    pub fn enabled(&self) -> bool {
        !self.otlp_endpoint.is_empty()
    }

    pub(super) fn problems(&self, out: &mut Vec<String>) {
        if self.enabled() {
            match url::Url::parse(&self.otlp_endpoint) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.username().is_empty() => {}
                _ => out.push(format!(
                    "traces.otlp_endpoint must be an http(s) URL without credentials, got {:?}",
                    self.otlp_endpoint
                )),
            }
        }
        if !(0.0..=1.0).contains(&self.sample_ratio) {
            out.push(format!(
                "traces.sample_ratio must be between 0.0 and 1.0, got {}",
                self.sample_ratio
            ));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.filter) {
            out.push(format!("traces.filter is not a valid filter: {e}"));
        }
        if self.service_name.trim().is_empty() {
            out.push("traces.service_name must not be empty".to_owned());
        }
        if !(100..=60_000).contains(&self.export_timeout_ms) {
            out.push(format!(
                "traces.export_timeout_ms must be between 100 and 60000, got {}",
                self.export_timeout_ms
            ));
        }
    }
}
