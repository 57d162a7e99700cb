//! Asking Wise for a new code: a new window, fresh attempts, limits per minute and per day.

use crate::helpers::{awaiting_code, json, problem, spawn_app, submit};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn resend_gets_a_new_code_from_wise_and_resets_the_attempts() {
    let app = spawn_app().await;
    let (id, session, _) = awaiting_code(&app, "c-rs", "resend@example.com", json!({})).await;
    for wrong in ["WRONG1", "WRONG2"] {
        submit(&app, &id, &session, wrong).await;
    }
    let early = app.resend(&id, &session).await;
    assert_eq!(early.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = early.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(problem(early).await["code"], "resend_too_soon");
    assert_eq!(
        app.sim().mailbox("resend@example.com").await.len(),
        1,
        "no email for a refused resend"
    );

    app.advance(chrono::Duration::seconds(61));
    let r = app.resend(&id, &session).await;
    assert_eq!(r.status(), StatusCode::OK);
    let link = json(r).await;
    assert_eq!(
        (link["state"].as_str(), link["attempts_remaining"].as_i64()),
        (Some("awaiting_code"), Some(5))
    );
    assert!(link["next_action"]["resend_available_at"].is_string());
    assert!(
        link.get("link_session_token").is_none(),
        "the app keeps its session"
    );
    let mails = app.sim().mailbox("resend@example.com").await;
    assert_eq!(mails.len(), 2, "Wise emailed a new code");
    let code = mails[1]["authorization_code"].as_str().unwrap();
    assert_eq!(
        json(submit(&app, &id, &session, code).await).await["state"],
        "active"
    );
    let after = app.resend(&id, &session).await;
    assert_eq!(
        after.status(),
        StatusCode::CONFLICT,
        "an active link needs no code"
    );
}

#[tokio::test]
async fn at_most_five_resends_a_day() {
    let app = spawn_app().await;
    let (id, session, _) = awaiting_code(&app, "c-r5", "five.resends@example.com", json!({})).await;
    for n in 1..=5 {
        app.advance(chrono::Duration::seconds(61));
        assert_eq!(
            app.resend(&id, &session).await.status(),
            StatusCode::OK,
            "resend {n}"
        );
    }
    app.advance(chrono::Duration::seconds(61));
    let sixth = app.resend(&id, &session).await;
    assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = sixth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 23 * 3600, "until the day's window ends: {wait}");
    assert_eq!(problem(sixth).await["code"], "resend_limit_reached");
    assert_eq!(app.sim().mailbox("five.resends@example.com").await.len(), 6);
}
