//! Every Wise call of the email-code flow × every fault the simulator can inject. For each pair a
//! customer links from start to `active`, doing only what the answers tell them (retry after
//! `Retry-After`, enter the code again, ask for a new one), and afterwards:
//!
//! - every answer along the way was a success or a documented problem code;
//! - the link's audit trail is one unbroken chain of events ending in its state;
//! - Wise processed no code twice (from `/__sim/calls`);
//! - the link ends `active`.

use crate::helpers::{TestApp, customer, spawn_app_with};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const SIGNUP: &str = "/v1/user/signup/registration_code";

/// Where the fault is armed: before the start, before the code, or before a resend.
#[derive(Clone, Copy, Debug)]
enum Phase {
    Start,
    Code,
    Resend,
}

const CALLS: [(&str, &str, Phase); 5] = [
    ("signup", SIGNUP, Phase::Start),
    ("exchange", "/oauth/token", Phase::Code),
    ("me", "/v1/me", Phase::Code),
    ("profiles", "/v2/profiles", Phase::Code),
    ("resend signup", SIGNUP, Phase::Resend),
];

fn faults() -> [(&'static str, Value); 5] {
    [
        ("500", json!({"status": 500})),
        (
            "503 + Retry-After",
            json!({"status": 503, "retry_after": 1}),
        ),
        (
            "429 + Retry-After",
            json!({"status": 429, "retry_after": 1}),
        ),
        ("latency past the timeout", json!({"latency_ms": 1300})),
        ("dropped answer", json!({"drop_response": true})),
    ]
}

/// What a customer may be told along the way.
const DOCUMENTED: [&str; 6] = [
    "wise_unavailable",
    "code_exchange_failed",
    "code_already_used",
    "link_busy",
    "resend_too_soon",
    "invalid_state",
];

/// The status of `r`; a failure must carry a documented problem code.
async fn told(r: Response, case: &str) -> (StatusCode, Value) {
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let code = body["code"].as_str().unwrap_or_default();
        assert!(DOCUMENTED.contains(&code), "{case}: {status} {body}");
    }
    (status, body)
}

/// Lets the recovery worker take over whatever a fault left in flight.
async fn settle(app: &TestApp, id: &str) -> Value {
    app.advance(chrono::Duration::seconds(31));
    for _ in 0..100 {
        let link = app.get_json(&format!("/v1/links/{id}")).await;
        if !["pending", "exchanging", "verifying"].contains(&link["state"].as_str().unwrap()) {
            return link;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("link {id} stayed in flight");
}

async fn run_case(app: &TestApp, n: usize, case: &str, endpoint: &str, phase: Phase, fault: Value) {
    let email = format!("matrix{n}@example.com");
    let customer_ref = format!("m-{n}");
    customer(app, &customer_ref, &email, Some(json!({}))).await;
    let mut fault = fault;
    fault["endpoint"] = json!(endpoint);

    if let Phase::Start = phase {
        app.sim().fault(fault.clone()).await;
    }
    let (status, started) = told(app.start_link(&customer_ref).await, case).await;
    let id = match started["id"].as_str() {
        Some(id) => id.to_owned(),
        None => {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{case}");
            let listed = app
                .get_json(&format!("/v1/links?customer_ref={customer_ref}"))
                .await;
            listed["items"][0]["id"].as_str().unwrap().to_owned()
        }
    };
    let mut link = settle(app, &id).await;
    assert_eq!(link["state"], "awaiting_code", "{case}: {link}");
    // Without the start's answer the partner still holds the link: it acts with its API key.
    let bearer = started["link_session_token"]
        .as_str()
        .map_or(app.api_key.clone(), str::to_owned);

    if let Phase::Resend = phase {
        app.sim().fault(fault.clone()).await;
    }
    if let Phase::Code = phase {
        app.sim().fault(fault.clone()).await;
    }
    for step in 0..6 {
        match phase {
            Phase::Resend if step == 0 => {
                app.advance(chrono::Duration::seconds(61));
                told(app.resend(&id, &bearer).await, case).await;
            }
            _ => {
                let code = app.sim().latest_code(&email).await;
                let (status, body) = told(app.submit_code(&id, &bearer, &code).await, case).await;
                if status == StatusCode::OK {
                    link = body;
                    break;
                }
                match body["code"].as_str() {
                    // Wise did not process it: the same code, after Retry-After (the shared
                    // clock moves past it; nothing in wiselink or the simulator sleeps for it).
                    Some("wise_unavailable") => {
                        app.advance(chrono::Duration::seconds(5));
                    }
                    // Spent: a new code.
                    Some("code_exchange_failed" | "code_already_used") => {
                        app.advance(chrono::Duration::seconds(61));
                        let (s, _) = told(app.resend(&id, &bearer).await, case).await;
                        assert_eq!(s, StatusCode::OK, "{case}: resend after a spent code");
                    }
                    _ => {}
                }
            }
        }
        link = settle(app, &id).await;
        if link["state"] == "active" {
            break;
        }
    }
    assert_eq!(link["state"], "active", "{case}: {link}");

    let events = app.get_json(&format!("/v1/links/{id}/events")).await;
    let events = events.as_array().unwrap();
    for pair in events.windows(2) {
        assert_eq!(
            pair[1]["from_state"], pair[0]["to_state"],
            "{case}: {events:?}"
        );
    }
    assert_eq!(events.last().unwrap()["to_state"], "active", "{case}");
}

/// Codes Wise processed more than once, over the whole run.
async fn codes_processed_twice(app: &TestApp) -> Vec<String> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for call in app.sim().calls().await {
        let unprocessed = [429, 500, 503].contains(&call["status"].as_u64().unwrap_or(0));
        if call["body"]["grant_type"] == "authorization_code" && !unprocessed {
            *seen
                .entry(call["body"]["code"].as_str().unwrap_or_default().to_owned())
                .or_default() += 1;
        }
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(c, _)| c)
        .collect()
}

#[tokio::test]
async fn every_wise_call_under_every_fault_ends_active_with_no_code_processed_twice() {
    let app = spawn_app_with(&[
        ("WISELINK__WORKERS__RECOVERY_INTERVAL_MS", "100"),
        ("WISELINK__WORKERS__RECOVERY_STALE_AFTER_SECS", "30"),
        ("WISELINK__LINKS__WISE_BUDGET_SECS", "20"),
        ("WISELINK__WISE__REQUEST_TIMEOUT_MS", "1000"),
        // One address plays every customer here.
        (
            "WISELINK__LIMITS__CODE_SUBMISSIONS_PER_IP_PER_MINUTE",
            "100000",
        ),
    ])
    .await;
    let mut n = 0;
    for (call, endpoint, phase) in CALLS {
        for (fault_name, fault) in faults() {
            let case = format!("{call} × {fault_name}");
            run_case(&app, n, &case, endpoint, phase, fault).await;
            n += 1;
        }
    }
    assert_eq!(codes_processed_twice(&app).await, Vec::<String>::new());
}
