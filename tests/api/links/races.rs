//! Concurrent clients of one link: the limits hold whatever the concurrency.

use crate::helpers::{TestApp, awaiting_code, problem, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

/// Sends `n` resends of `id` at once (with the partner's key, which no per-IP limit counts) and
/// returns how many succeeded; every other answer must say when to come back.
async fn parallel_resends(app: &TestApp, id: &str, n: usize) -> usize {
    let answers =
        futures_util::future::join_all((0..n).map(|_| app.resend(id, &app.api_key))).await;
    let mut ok = 0;
    for answer in answers {
        match answer.status() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::CONFLICT => {
                let p = problem(answer).await;
                assert!(
                    ["resend_too_soon", "resend_limit_reached", "link_busy"]
                        .contains(&p["code"].as_str().unwrap()),
                    "{p}"
                );
            }
            other => panic!("unexpected {other}"),
        }
    }
    ok
}

#[tokio::test]
async fn parallel_resends_make_one_email_a_minute_and_five_a_day() {
    let app = spawn_app().await;
    let email = "many.resends@example.com";
    let (id, _, _) = awaiting_code(&app, "c-par", email, json!({})).await;
    for round in 1..=5 {
        app.advance(chrono::Duration::seconds(61));
        assert_eq!(parallel_resends(&app, &id, 30).await, 1, "round {round}");
    }
    app.advance(chrono::Duration::seconds(61));
    assert_eq!(
        parallel_resends(&app, &id, 30).await,
        0,
        "the sixth of the day"
    );

    assert_eq!(
        app.sim()
            .calls_to("/v1/user/signup/registration_code")
            .await,
        6,
        "the start and five resends reached Wise"
    );
    assert_eq!(app.sim().mailbox(email).await.len(), 6);
    let events = app.get_json(&format!("/v1/links/{id}/events")).await;
    let resent = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "code_resent")
        .count();
    assert_eq!(resent, 5);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM links WHERE resends_in_window = 5")
            .await,
        1,
        "the daily count matches the resends"
    );
}
