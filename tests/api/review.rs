//! Deciding links in review over the JSON API (a partner's own back office): the same rules as
//! the staff screen — a reason, one decision however many race, four-eyes, never an active link
//! without tokens — and the database's own guards behind them.

use crate::helpers::{create_api_key, in_review, json, problem, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn approving_activates_with_a_reason_and_emails_the_customer() {
    let app = spawn_app().await;
    let id = in_review(&app, "ada").await;
    let key = app.api_key.clone();

    let missing = app
        .client
        .post(app.url(&format!("/v1/links/{id}/approve")))
        .bearer_auth(&key)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(missing).await["errors"][0]["field"], "reason");
    let blank = app.decide(&key, &id, "approve", "  ").await;
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "needs_review",
        "nothing written for a refused decision"
    );

    let approved = app
        .decide(&key, &id, "approve", "DOB typo confirmed by phone")
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    let approved = json(approved).await;
    assert_eq!(approved["state"], "active");
    assert_eq!(
        approved["review_reason"], "dob_mismatch",
        "kept after the decision"
    );
    assert_eq!(app.access_token(&id).await.status(), StatusCode::OK);

    let events = app.get_json(&format!("/v1/links/{id}/events")).await;
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "staff_approved");
    assert!(last["actor"].as_str().unwrap().starts_with("api_key:"));
    assert_eq!(last["reason"], "DOB typo confirmed by phone");
    let mail = app.mail.wait_for("ada@example.com", 2).await;
    assert_eq!(mail.last().unwrap().subject, "Your Wise account is linked");

    let again = app.decide(&key, &id, "reject", "changed my mind").await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let again = problem(again).await;
    assert_eq!(again["code"], "already_decided");
    assert!(
        again["detail"].as_str().unwrap().contains("api_key:"),
        "{again}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM customers WHERE wise_user_id IS NOT NULL")
            .await,
        1,
        "an approval pins the customer to the Wise user"
    );
    let metrics = app.metrics().await;
    for series in [
        r#"wiselink_review_decisions_total{decision="approved",via="api"}"#,
        r#"wiselink_review_queue_links{state="needs_review"}"#,
        "wiselink_review_oldest_waiting_seconds",
    ] {
        assert!(metrics.contains(series), "{series} in /metrics");
    }
}

#[tokio::test]
async fn rejecting_destroys_tokens_and_sends_a_neutral_email() {
    let app = spawn_app().await;
    let id = in_review(&app, "bob").await;
    let rejected = app
        .decide(&app.api_key, &id, "reject", "not the same person")
        .await;
    assert_eq!(rejected.status(), StatusCode::OK);
    assert_eq!(json(rejected).await["state"], "rejected");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM links JOIN link_tokens t ON t.link_id = links.id WHERE state = 'rejected' AND access_token IS NULL \
               AND refresh_token IS NULL AND registration_code IS NULL AND session_token_hash IS NULL"
        )
        .await,
        1
    );
    let mail = app.mail.wait_for("bob@example.com", 2).await;
    let sent = mail.last().unwrap();
    assert_eq!(sent.subject, "We could not link your Wise account");
    for hint in ["date of birth", "1990", "review", "not the same person"] {
        assert!(
            !sent.text.contains(hint),
            "the email says nothing of why: {hint}"
        );
    }
}

#[tokio::test]
async fn racing_decisions_end_with_exactly_one() {
    let app = spawn_app().await;
    let id = in_review(&app, "cy").await;
    let answers = futures_util::future::join_all((0..12).map(|i| {
        let decision = if i % 2 == 0 { "approve" } else { "reject" };
        app.decide(&app.api_key, &id, decision, "racing reviewers")
    }))
    .await;
    let mut ok = 0;
    for answer in answers {
        match answer.status() {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => {
                let code = problem(answer).await["code"].clone();
                assert_eq!(code, "already_decided");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM link_events WHERE event IN ('staff_approved', 'staff_rejected')"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn four_eyes_needs_a_second_different_approver() {
    let app = spawn_app_with(&[("WISELINK__STAFF__APPROVALS_REQUIRED", "2")]).await;
    let id = in_review(&app, "dee").await;
    let first = json(
        app.decide(&app.api_key, &id, "approve", "looks right")
            .await,
    )
    .await;
    assert_eq!(first["state"], "needs_review");
    assert_eq!(first["approvals"], 1);
    assert_eq!(app.access_token(&id).await.status(), StatusCode::CONFLICT);

    let same = app
        .decide(&app.api_key, &id, "approve", "still looks right")
        .await;
    assert_eq!(same.status(), StatusCode::CONFLICT);
    assert_eq!(problem(same).await["code"], "second_approver_needed");

    // Another key of the partner is the same approver.
    let other_key = create_api_key(&app.db, "second reviewer").await;
    let same_partner = app.decide(&other_key, &id, "approve", "agreed").await;
    assert_eq!(same_partner.status(), StatusCode::CONFLICT);
    assert_eq!(
        problem(same_partner).await["code"],
        "second_approver_needed"
    );

    app.add_staff("sam", "reviewer");
    let sam = app.staff("sam").await;
    let page = format!("/staff/links/{id}");
    let approved = sam
        .post(&page, &format!("{page}/approve"), &[("reason", "agreed")])
        .await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let second = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(second["state"], "active");
    assert_eq!(second["approvals"], 2);
    let events = app.event_names(&id).await;
    assert_eq!(
        events[events.len() - 3..],
        ["identity_doubtful", "approval_recorded", "staff_approved"]
    );
}

#[tokio::test]
async fn no_decision_activates_a_link_without_tokens() {
    let app = spawn_app().await;
    let id = in_review(&app, "eve").await;
    app.execute("UPDATE link_tokens SET access_token = NULL, refresh_token = NULL")
        .await
        .unwrap();
    let approved = app.decide(&app.api_key, &id, "approve", "fine").await;
    assert_eq!(approved.status(), StatusCode::CONFLICT);
    assert_eq!(problem(approved).await["code"], "no_tokens");
    // The database refuses it too, whoever asks.
    assert!(
        app.execute("UPDATE links SET state = 'active'")
            .await
            .is_err()
    );
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "needs_review"
    );
}

#[tokio::test]
async fn the_audit_trail_is_append_only() {
    let app = spawn_app().await;
    in_review(&app, "fay").await;
    let before = app.count("SELECT COUNT(*) AS n FROM link_events").await;
    assert!(before > 0);
    assert!(
        app.execute("UPDATE link_events SET reason = 'rewritten'")
            .await
            .is_err()
    );
    assert!(app.execute("DELETE FROM link_events").await.is_err());
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM link_events").await,
        before
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM link_events WHERE reason = 'rewritten'")
            .await,
        0
    );
}
