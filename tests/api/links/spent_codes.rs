//! Codes sent to Wise: every one stays refused for the life of its link, except one Wise provably
//! did not process (429, or 503 with Retry-After), which stays good and costs no attempt.

use crate::helpers::{TestApp, awaiting_code, json, problem, spawn_app, submit};
use reqwest::StatusCode;
use serde_json::json;

/// How many times Wise received `code` in an authorization-code exchange.
async fn times_sent(app: &TestApp, code: &str) -> usize {
    app.sim()
        .calls()
        .await
        .iter()
        .filter(|c| c["body"]["grant_type"] == "authorization_code" && c["body"]["code"] == code)
        .count()
}

#[tokio::test]
async fn a_lost_code_stays_refused_after_other_codes_were_tried() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "c-lost2", "lost2@example.com", json!({})).await;
    app.sim()
        .fault(json!({"endpoint": "/oauth/token", "drop_response": true}))
        .await;
    let lost = submit(&app, &id, &session, &code).await;
    assert_eq!(problem(lost).await["code"], "code_exchange_failed");

    // A wrong code in between used to make wiselink forget the lost one.
    let wrong = submit(&app, &id, &session, "WRONG1").await;
    assert_eq!(problem(wrong).await["code"], "invalid_code");
    for typed in [code.clone(), format!(" {}-{} ", &code[..3], &code[3..])] {
        let again = submit(&app, &id, &session, &typed).await;
        assert_eq!(
            again.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{typed:?}"
        );
        assert_eq!(problem(again).await["code"], "code_already_used");
    }
    let wrong_again = submit(&app, &id, &session, "WRONG1").await;
    assert_eq!(problem(wrong_again).await["code"], "code_already_used");

    assert_eq!(
        times_sent(&app, &code).await,
        1,
        "the lost code reached Wise once"
    );
    assert_eq!(times_sent(&app, "WRONG1").await, 1);
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(
        (link["state"].as_str(), link["attempts_remaining"].as_i64()),
        (Some("awaiting_code"), Some(4)),
        "only Wise's refusal cost an attempt"
    );
}

#[tokio::test]
async fn wise_refusing_to_process_the_exchange_keeps_the_code_good() {
    let app = spawn_app().await;
    // A 429 also pauses every Wise call for its Retry-After: the same code sent again at once
    // waits that out (within wise.budget.customer_max_wait_ms) before it goes to Wise.
    let cases = [
        ("429", json!({"status": 429, "retry_after": 2}), "2", 1500),
        ("503", json!({"status": 503, "retry_after": 3}), "3", 0),
    ];
    for (i, (name, fault, wait, held_ms)) in cases.into_iter().enumerate() {
        let (customer, email) = (format!("c-busy-{i}"), format!("busy{i}@example.com"));
        let (id, session, code) = awaiting_code(&app, &customer, &email, json!({})).await;
        let mut fault = fault;
        fault["endpoint"] = json!("/oauth/token");
        app.sim().fault(fault).await;

        let busy = submit(&app, &id, &session, &code).await;
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE, "{name}");
        assert_eq!(busy.headers()["retry-after"], wait, "{name}");
        assert_eq!(problem(busy).await["code"], "wise_unavailable", "{name}");
        let link = app.get_json(&format!("/v1/links/{id}")).await;
        assert_eq!(
            (link["state"].as_str(), link["attempts_remaining"].as_i64()),
            (Some("awaiting_code"), Some(5)),
            "{name}: no attempt spent"
        );

        let sent_again = std::time::Instant::now();
        let done = submit(&app, &id, &session, &code).await;
        let held = sent_again.elapsed();
        assert_eq!(done.status(), StatusCode::OK, "{name}: the same code works");
        assert!(
            held >= std::time::Duration::from_millis(held_ms),
            "{name}: sent again after {held:?}"
        );
        assert_eq!(json(done).await["state"], "active", "{name}");
        assert_eq!(times_sent(&app, &code).await, 2, "{name}");
        let events = app.event_names(&id).await;
        assert!(
            events.iter().any(|e| e == "exchange_deferred"),
            "{name}: {events:?}"
        );
    }
}

#[tokio::test]
async fn a_bare_server_error_on_the_exchange_spends_the_code() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "c-500", "five00@example.com", json!({})).await;
    app.sim()
        .fault(json!({"endpoint": "/oauth/token", "status": 500}))
        .await;
    let failed = submit(&app, &id, &session, &code).await;
    assert_eq!(failed.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(problem(failed).await["code"], "code_exchange_failed");
    let again = submit(&app, &id, &session, &code).await;
    assert_eq!(problem(again).await["code"], "code_already_used");
    assert_eq!(times_sent(&app, &code).await, 1);
}
