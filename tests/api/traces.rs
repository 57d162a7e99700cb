//! OpenTelemetry traces from a `serve` process to a collector (the OTLP receiver in the tests): a
//! customer's link is one trace from the partner's request, through each Wise call, to the webhook
//! and the email the workers deliver later; spans carry the route, the link id, Wise's
//! `x-trace-id` and the outcome, never a secret; the last spans leave with the process on SIGTERM.

use crate::helpers::{
    TestSim, cli_api_key, customer_body, free_port, run_cli, serve_command, spawn_sim,
    stop_with_sigterm, wait_until_serving,
};
use crate::mail_sink::MailSink;
use crate::otlp_receiver::{CLIENT, ExportedSpan, OtlpReceiver, PRODUCER, SERVER, STATUS_ERROR};
use crate::webhook_receiver::Receiver;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::process::Child;

/// The caller's trace: 32 and 16 hex digits, sampled.
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn serve(db_url: &str, port: u16, sim: &TestSim, sink: &MailSink, collector: &str) -> Child {
    serve_command(db_url, port, sim, sink)
        .env("WISELINK__WEBHOOKS__DELIVERY_INTERVAL_MS", "50")
        .env("WISELINK__TRACES__OTLP_ENDPOINT", collector)
        .env("WISELINK__TRACES__SERVICE_NAME", "wiselink-under-test")
        // Traces have their own filter: quiet logs still leave every request traced.
        .env("WISELINK__LOG__FILTER", "warn")
        // Nothing is exported before the process stops: the test proves the last spans leave
        // with it.
        .env("OTEL_BSP_SCHEDULE_DELAY", "600000")
        .spawn()
        .expect("serve starts")
}

fn named<'a>(spans: &'a [ExportedSpan], name: &str) -> Vec<&'a ExportedSpan> {
    spans.iter().filter(|s| s.name == name).collect()
}

fn the_one<'a>(spans: &'a [ExportedSpan], name: &str) -> &'a ExportedSpan {
    let found = named(spans, name);
    assert_eq!(found.len(), 1, "one {name:?} span: {spans:#?}");
    found[0]
}

/// Sends `request`, checks its status, and returns its JSON body.
async fn answered(request: reqwest::RequestBuilder, status: StatusCode) -> Value {
    let response = request.send().await.expect("request sent");
    assert_eq!(response.status(), status);
    response.json().await.expect("a JSON body")
}

#[tokio::test]
async fn a_link_is_one_trace_from_the_partners_request_to_the_webhook_and_the_email() {
    let database = crate::helpers::TestDatabase::create();
    let db_url = database.url().to_owned();
    let sim = spawn_sim().await;
    let sink = MailSink::start();
    let collector = OtlpReceiver::start().await;
    let hooks = Receiver::start().await;
    let key = cli_api_key(&db_url, "traces");
    let port = free_port();
    let mut child = serve(&db_url, port, &sim, &sink, &collector.url);
    let client = Client::new();
    let base = format!("http://127.0.0.1:{port}");
    wait_until_serving(&client, &base).await;
    let api = |method: reqwest::Method, path: &str| {
        client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&key)
    };

    answered(
        api(reqwest::Method::POST, "/v1/webhook-endpoints")
            .json(&json!({"url": hooks.url, "events": ["*"]})),
        StatusCode::CREATED,
    )
    .await;
    let email = "trace.person@example.com";
    let mut body = customer_body();
    body["email"] = json!(email);
    answered(
        api(reqwest::Method::PUT, "/v1/customers/traced").json(&body),
        StatusCode::CREATED,
    )
    .await;
    sim.seed(email, json!({})).await;
    let link = answered(
        api(reqwest::Method::POST, "/v1/links").json(&json!({"customer_ref": "traced"})),
        StatusCode::CREATED,
    )
    .await;
    let id = link["id"].as_str().unwrap().to_owned();
    let session = link["link_session_token"].as_str().unwrap().to_owned();
    let code = sim.latest_code(email).await;
    // Wise fails the first look at the user once; the retry succeeds.
    sim.fault(json!({"endpoint": "/v1/me", "status": 503}))
        .await;
    let done = answered(
        client
            .post(format!("{base}/v1/links/{id}/code"))
            .bearer_auth(&session)
            .header("traceparent", format!("00-{TRACE}-{CALLER_SPAN}-01"))
            .json(&json!({"code": code})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["state"], "active");
    hooks
        .wait_until("link.active", |got| {
            got.iter()
                .any(|r| r.status == 200 && r.json()["type"] == "link.active")
        })
        .await;
    sink.wait_for(email, 1).await;
    let token = answered(
        api(
            reqwest::Method::POST,
            &format!("/v1/links/{id}/access-token"),
        ),
        StatusCode::OK,
    )
    .await;
    let access_token = token["access_token"].as_str().unwrap().to_owned();
    assert!(
        collector.spans().is_empty(),
        "nothing exported before the stop"
    );
    let stopped = stop_with_sigterm(&mut child).await;
    assert!(stopped.success(), "clean exit: {stopped:?}");

    let spans = collector.spans();
    assert!(
        collector
            .content_types()
            .iter()
            .all(|c| c == "application/x-protobuf"),
        "OTLP/HTTP protobuf: {:?}",
        collector.content_types()
    );
    assert!(
        spans
            .iter()
            .all(|s| s.service_name == "wiselink-under-test")
    );

    // The request continues the caller's trace, named by its route.
    let request = the_one(&spans, "POST /v1/links/{link_id}/code");
    assert_eq!(request.kind, SERVER);
    assert_eq!(request.trace_id, TRACE);
    assert_eq!(request.parent_span_id, CALLER_SPAN);
    assert_eq!(request.attr("http.route"), Some("/v1/links/{link_id}/code"));
    assert_eq!(request.attr("http.status_code"), Some("200"));
    let handler = the_one(&spans, "submit_code");
    assert_eq!(handler.parent_span_id, request.span_id);
    assert_eq!(handler.attr("link.id"), Some(id.as_str()));

    // Each attempt at a Wise call is a client span in that trace, with Wise's x-trace-id.
    let calls = sim.calls().await;
    let wise_trace_id = |path: &str, status: u16, grant: Option<&str>| -> String {
        let call = calls
            .iter()
            .find(|c| {
                c["path"] == path
                    && c["status"] == status
                    && grant.is_none_or(|g| c["body"]["grant_type"] == g)
            })
            .unwrap_or_else(|| panic!("Wise saw {path} answered {status}: {calls:#?}"));
        call["trace_id"].as_str().unwrap().to_owned()
    };
    let in_trace: Vec<&ExportedSpan> = spans.iter().filter(|s| s.trace_id == TRACE).collect();
    let wise: Vec<&&ExportedSpan> = in_trace.iter().filter(|s| s.kind == CLIENT).collect();
    let exchange = wise
        .iter()
        .find(|s| s.name == "Wise authorization_code_grant")
        .expect("the code exchange's span");
    assert_eq!(exchange.attr("outcome"), Some("ok"));
    assert_eq!(exchange.attr("http.status_code"), Some("200"));
    assert_eq!(
        exchange.attr("wise.trace_id"),
        Some(wise_trace_id("/oauth/token", 200, Some("authorization_code")).as_str())
    );
    let me: Vec<&&&ExportedSpan> = wise.iter().filter(|s| s.name == "Wise me").collect();
    assert_eq!(me.len(), 2, "two attempts at /v1/me: {me:#?}");
    let failed = me
        .iter()
        .find(|s| s.attr("wise.attempt") == Some("1"))
        .unwrap();
    assert_eq!(failed.attr("outcome"), Some("server_error"));
    assert_eq!(failed.attr("http.status_code"), Some("503"));
    assert_eq!(failed.status, STATUS_ERROR);
    assert_eq!(
        failed.attr("wise.trace_id"),
        Some(wise_trace_id("/v1/me", 503, None).as_str())
    );
    let retried = me
        .iter()
        .find(|s| s.attr("wise.attempt") == Some("2"))
        .unwrap();
    assert_eq!(retried.attr("outcome"), Some("ok"));
    for span in &wise {
        assert_eq!(span.attr("wise.budget_class"), Some("customer"));
        assert!(
            in_trace.iter().any(|p| p.span_id == span.parent_span_id),
            "a Wise call's parent is in the request's trace: {span:#?}"
        );
    }

    // The workers' deliveries, later and elsewhere, continue the same trace.
    let webhooks: Vec<&&ExportedSpan> = in_trace
        .iter()
        .filter(|s| s.name == "webhook.deliver" && s.attr("event.type") == Some("link.active"))
        .collect();
    assert_eq!(webhooks.len(), 1, "{spans:#?}");
    assert_eq!(webhooks[0].kind, PRODUCER);
    assert_eq!(webhooks[0].attr("link.id"), Some(id.as_str()));
    assert_eq!(webhooks[0].attr("outcome"), Some("delivered"));
    let emails: Vec<&&ExportedSpan> = in_trace
        .iter()
        .filter(|s| s.name == "outbox.deliver" && s.attr("outbox.kind") == Some("linked"))
        .collect();
    assert_eq!(emails.len(), 1, "{spans:#?}");
    assert_eq!(emails[0].attr("outcome"), Some("delivered"));

    // The access-token call (no caller trace) is a trace of its own.
    let hand_out = the_one(&spans, "POST /v1/links/{link_id}/access-token");
    assert_ne!(hand_out.trace_id, TRACE);
    assert!(hand_out.parent_span_id.is_empty());
    // Probes are not traced.
    assert!(named(&spans, "GET /healthz").is_empty());

    let raw = collector.raw();
    let exported = String::from_utf8_lossy(&raw);
    for (what, secret) in [
        ("the emailed code", code.as_str()),
        ("the link session token", session.as_str()),
        ("the API key", key.as_str()),
        ("an access token", access_token.as_str()),
        ("the client secret", wiselink::settings::DEV_CLIENT_SECRET),
        ("an email address", email),
        ("a date of birth", "1990-04-17"),
    ] {
        assert!(!exported.contains(secret), "{what} was exported");
    }
}

#[test]
fn an_endpoint_that_is_not_an_http_url_is_refused_at_start_up() {
    let out = run_cli(
        &["migrate"],
        &[("WISELINK__TRACES__OTLP_ENDPOINT", "collector:4318")],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("traces.otlp_endpoint must be an http(s) URL"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
