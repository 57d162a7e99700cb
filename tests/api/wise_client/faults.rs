//! What the client does when Wise fails: which calls are retried, Retry-After, timeouts.

use crate::helpers::{registration_code, spawn_sim, spawn_sim_with};
use serde_json::json;
use std::time::{Duration, Instant};
use wiselink::wise::WiseError;

#[tokio::test]
async fn the_code_exchange_is_never_retried_even_on_503_or_a_lost_answer() {
    let sim = spawn_sim().await;
    sim.seed("bo@example.com", json!({})).await;
    let code = sim.emailed_code("bo@example.com").await;

    sim.fault(json!({"endpoint": "/oauth/token", "status": 503, "count": 3}))
        .await;
    let before = sim.calls_to("/oauth/token").await;
    let err = sim.wise.authorization_code_grant(&code).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(sim.calls_to("/oauth/token").await - before, 1);
    sim.control(reqwest::Method::DELETE, "/__sim/faults", None)
        .await;

    sim.fault(json!({"endpoint": "/oauth/token", "drop_response": true}))
        .await;
    let err = sim.wise.authorization_code_grant(&code).await.unwrap_err();
    assert!(
        matches!(err, WiseError::Transport { connect: false, .. }),
        "{err:?}"
    );
    assert_eq!(
        sim.calls_to("/oauth/token").await - before,
        2,
        "one more call, not retried"
    );
    let again = sim.wise.authorization_code_grant(&code).await.unwrap_err();
    assert!(
        again.is_invalid_grant(),
        "the lost exchange used the code up"
    );
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let sim = spawn_sim().await;
    let (_, tokens) = sim.linked_user("ivy@example.com").await;
    sim.fault(json!({"endpoint": "/v1/me", "status": 429, "retry_after": 1}))
        .await;
    let started = Instant::now();
    sim.wise.me(&tokens.access_token).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(sim.calls_to("/v1/me").await, 2);

    sim.fault(json!({"endpoint": "/v1/me", "status": 429, "retry_after": 3600}))
        .await;
    let started = Instant::now();
    let err = sim.wise.me(&tokens.access_token).await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a wait beyond the cap is not taken"
    );
}

#[tokio::test]
async fn server_errors_and_lost_answers_are_retried_at_most_three_times_where_safe_and_never_a_refresh()
 {
    let sim = spawn_sim().await;
    let (_, tokens) = sim.linked_user("jo@example.com").await;
    sim.fault(json!({"endpoint": "/v2/profiles", "status": 502, "count": 2}))
        .await;
    assert_eq!(
        sim.wise.profiles(&tokens.access_token).await.unwrap().len(),
        1
    );
    assert_eq!(sim.calls_to("/v2/profiles").await, 3);

    sim.fault(json!({"endpoint": "/v2/profiles", "status": 503, "count": 5}))
        .await;
    let err = sim.wise.profiles(&tokens.access_token).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.trace_id().is_some() && err.is_transient());
    assert_eq!(
        sim.calls_to("/v2/profiles").await,
        6,
        "three more attempts, no more"
    );
    sim.control(reqwest::Method::DELETE, "/__sim/faults", None)
        .await;

    // A refresh whose answer is lost is not repeated by the client: where refresh tokens rotate,
    // the repeat would carry a spent token (the link service decides what to do next).
    let before = sim.calls_to("/oauth/token").await;
    sim.fault(json!({"endpoint": "/oauth/token", "drop_response": true}))
        .await;
    let err = sim.wise.refresh(&tokens.refresh_token).await.unwrap_err();
    assert!(err.may_have_acted(), "{err}");
    assert_eq!(sim.calls_to("/oauth/token").await, before + 1, "sent once");
    assert!(
        sim.wise
            .me(&tokens.access_token)
            .await
            .unwrap_err()
            .is_invalid_token(),
        "Wise acted on it: the old access token is dead"
    );

    sim.fault(json!({"endpoint": "/v1/user/signup/registration_code", "status": 503}))
        .await;
    let err = sim
        .wise
        .create_user("kit@example.com", &registration_code(), "EN", false)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        sim.calls_to("/v1/user/signup/registration_code").await,
        2,
        "signup is not repeated after a 5xx"
    );
}

#[tokio::test]
async fn slow_answers_time_out_and_unreachable_wise_is_a_connect_error() {
    let sim = spawn_sim_with(&[
        ("WISELINK__WISE__REQUEST_TIMEOUT_MS", "300"),
        ("WISELINK__WISE__MAX_ATTEMPTS", "1"),
    ])
    .await;
    sim.fault(json!({"endpoint": "/oauth/token", "latency_ms": 1000}))
        .await;
    let err = sim.wise.client_token().await.unwrap_err();
    assert!(
        matches!(err, WiseError::Transport { timeout: true, .. }),
        "{err:?}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = format!("http://127.0.0.1:{closed}");
    let nowhere = spawn_sim_with(&[("WISELINK__WISE__API_URL", api.as_str())]).await;
    let err = nowhere.wise.client_token().await.unwrap_err();
    assert!(
        matches!(err, WiseError::Transport { connect: true, .. }),
        "{err:?}"
    );
}
