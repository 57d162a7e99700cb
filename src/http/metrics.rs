//! Prometheus metrics: request counts and latency by route and status, and the pool's state.

use crate::db::Db;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::future::Future;
use std::sync::OnceLock;
use std::time::Instant;
use tracing_actix_web::RequestId;

const DURATION: &str = "http_request_duration_seconds";
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
const BUDGET_WAIT: &str = "wiselink_wise_budget_wait_seconds";
const BUDGET_WAIT_BUCKETS: [f64; 10] = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 30.0];

/// The process-wide recorder. `metrics` has one global recorder, so every application in a process
/// (tests start many) shares it.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), &BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(BUDGET_WAIT.to_owned()),
                        &BUDGET_WAIT_BUCKETS,
                    )
                })
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; we then still render ours (empty).
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The methods counted by name; any other (a client can send any token) is `other`, so labels
/// come from a closed set whatever arrives.
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
];

fn method_label(method: &actix_web::http::Method) -> &'static str {
    METHODS
        .into_iter()
        .find(|m| *m == method.as_str())
        .unwrap_or("other")
}

/// The route pattern that matched (a fixed set: the app's routes), or `unmatched`; a request's
/// own path never becomes a label.
fn route_label(pattern: Option<String>) -> String {
    match pattern {
        Some(p) if p.starts_with('/') && p.len() <= 100 => p,
        _ => "unmatched".to_owned(),
    }
}

/// Renders the exposition text, refreshing the pool gauges first.
pub fn render(handle: &PrometheusHandle, db: &Db) -> String {
    let (open, idle, max) = db.pool_state();
    metrics::gauge!("db_pool_connections", "state" => "open").set(f64::from(open));
    metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("db_pool_connections", "state" => "in_use")
        .set(f64::from(open.saturating_sub(idle)));
    metrics::gauge!("db_pool_max_connections").set(f64::from(max));
    if let Some((open, idle, max)) = db.reader().pool_state() {
        metrics::gauge!("db_read_pool_connections", "state" => "open").set(f64::from(open));
        metrics::gauge!("db_read_pool_connections", "state" => "idle").set(f64::from(idle));
        metrics::gauge!("db_read_pool_max_connections").set(f64::from(max));
    }
    handle.render()
}

/// Middleware: times the request, counts it, logs its completion inside the request span, and
/// returns the request id as `x-request-id`.
pub fn observe<S, B>(
    req: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody,
{
    let started = Instant::now();
    let method = method_label(req.method());
    let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);
    let call = service.call(req);
    async move {
        let mut res = call.await?;
        let elapsed = started.elapsed();
        let route = route_label(res.request().match_pattern());
        let status = res.status().as_u16();
        metrics::counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status.to_string()).increment(1);
        tracing::info!(
            http.route = %route,
            http.status_code = status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request completed"
        );
        metrics::histogram!(DURATION, "method" => method, "route" => route)
            .record(elapsed.as_secs_f64());
        if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
            res.headers_mut()
                .insert(HeaderName::from_static("x-request-id"), id);
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::Method;

    #[test]
    fn labels_come_from_closed_sets() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"PROPFIND").unwrap()),
            "other"
        );
        assert_eq!(
            method_label(&Method::from_bytes(&[b'X'; 200]).unwrap()),
            "other"
        );
        assert_eq!(route_label(Some("/v1/links/{id}".into())), "/v1/links/{id}");
        assert_eq!(route_label(None), "unmatched");
    }
}
