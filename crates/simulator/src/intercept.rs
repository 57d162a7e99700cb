//! Middleware around every simulated Wise endpoint: applies armed faults, records the call, echoes
//! `X-External-Correlation-Id` and adds an `x-trace-id`.

use super::state::Call;
use super::{Simulator, WiseReply};
use actix_web::body::{BodyStream, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const CORRELATION: &str = "x-external-correlation-id";

pub async fn intercept(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(sim) = req.app_data::<web::Data<Simulator>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let correlation = req
        .headers()
        .get(CORRELATION)
        .filter(|v| v.len() <= 36)
        .cloned();
    let content_type = req.content_type().to_owned();
    let body = req.extract::<Bytes>().await?;
    let replay = body.clone();
    let stream: std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(futures_util::stream::once(async move {
            Ok::<_, PayloadError>(replay)
        }));
    req.set_payload(Payload::from(stream));

    // Past Wise's request limits (when enforced) nothing is processed and no fault is used.
    let limited = sim
        .lock()
        .control
        .limiter
        .as_mut()
        .and_then(|l| l.admit(Instant::now()).err());
    let fault = match limited {
        Some(_) => None,
        None => sim.lock().control.take_fault(&path),
    };
    if let Some(ms) = fault.as_ref().and_then(|f| f.latency_ms) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let armed = fault
        .as_ref()
        .and_then(|f| f.status.map(|s| (s, f.retry_after)));
    let mut res = match limited.map(|wait| (429, Some(wait))).or(armed) {
        Some((status, retry_after)) => {
            let mut reply = if status == 429 {
                WiseReply::new(429, json!({"message": "Too Many Requests"}))
            } else {
                WiseReply::spring(status, "Simulated fault", "Simulated fault", &path)
            };
            reply.retry_after = retry_after.or((status == 429).then_some(1));
            req.into_response(reply.response())
        }
        None => next.call(req).await?.map_into_boxed_body(),
    };

    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&trace_id) {
        headers.insert(HeaderName::from_static("x-trace-id"), v);
    }
    if let Some(v) = correlation {
        headers.insert(HeaderName::from_static(CORRELATION), v);
    }
    let call = Call {
        method,
        path: path.clone(),
        status: res.status().as_u16(),
        at: sim.clock.now_utc(),
        body: parse_body(&content_type, &body),
        trace_id,
    };
    sim.lock().control.record(call);
    if let Some(ms) = fault.as_ref().and_then(|f| f.answer_latency_ms) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    if fault.is_some_and(|f| f.drop_response) {
        // The call was processed; now lose the answer: a body that fails before any byte is
        // written makes the server close the connection without responding.
        let failing = futures_util::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("response dropped by the simulator"))
        });
        return Ok(res.map_body(|_, _| BodyStream::new(failing).boxed()));
    }
    Ok(res)
}

/// What the client sent, for assertions: the form as an object, JSON as parsed, else null.
fn parse_body(content_type: &str, body: &[u8]) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let form: BTreeMap<String, String> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        return json!(form);
    }
    serde_json::from_slice(body).unwrap_or(Value::Null)
}
