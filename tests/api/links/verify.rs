//! The identity check after the exchange: a match goes active, every doubt goes to staff review,
//! an account without a profile is rejected.

use crate::helpers::{awaiting_code, json, problem, spawn_app, submit};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn identity_doubts_go_to_review_and_accounts_without_a_profile_are_rejected() {
    let app = spawn_app().await;
    let cases = [
        (
            "dob",
            "dob@example.com",
            json!({"date_of_birth": "1985-01-01"}),
            "needs_review",
        ),
        (
            "nodob",
            "nodob@example.com",
            json!({"date_of_birth": null}),
            "needs_review",
        ),
        (
            "biz",
            "biz@example.com",
            json!({"business": true}),
            "needs_review",
        ),
        (
            "none",
            "none@example.com",
            json!({"profiles": []}),
            "rejected",
        ),
    ];
    for (customer_ref, email, wise, expected) in cases {
        let (id, session, code) = awaiting_code(&app, customer_ref, email, wise).await;
        let done = submit(&app, &id, &session, &code).await;
        assert_eq!(done.status(), StatusCode::OK, "{customer_ref}");
        assert_eq!(json(done).await["state"], expected, "{customer_ref}");
        let token = app.access_token(&id).await;
        assert_eq!(
            token.status(),
            StatusCode::CONFLICT,
            "{customer_ref}: no tokens for a link that is not active"
        );
        assert_eq!(problem(token).await["code"], "invalid_state");
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM links WHERE state = 'needs_review' AND access_token IS NOT NULL").await, 3, "tokens kept sealed for review");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM links WHERE state = 'rejected' AND access_token IS NOT NULL"
        )
        .await,
        0,
        "rejected links keep no tokens"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM customers WHERE wise_user_id IS NOT NULL")
            .await,
        0,
        "only verified links pin a Wise user"
    );
}
