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
            json!("dob_mismatch"),
        ),
        (
            "nodob",
            "nodob@example.com",
            json!({"date_of_birth": null}),
            "needs_review",
            json!("dob_missing"),
        ),
        (
            "biz",
            "biz@example.com",
            json!({"business": true}),
            "needs_review",
            json!("business_only"),
        ),
        (
            "none",
            "none@example.com",
            json!({"profiles": []}),
            "rejected",
            json!(null),
        ),
    ];
    for (customer_ref, email, wise, expected, review_reason) in cases {
        let (id, session, code) = awaiting_code(&app, customer_ref, email, wise).await;
        let done = submit(&app, &id, &session, &code).await;
        assert_eq!(done.status(), StatusCode::OK, "{customer_ref}");
        let done = json(done).await;
        assert_eq!(done["state"], expected, "{customer_ref}");
        assert_eq!(done["review_reason"], review_reason, "{customer_ref}");
        let read = app.get_json(&format!("/v1/links/{id}")).await;
        assert_eq!(read["review_reason"], review_reason, "{customer_ref}: GET");
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
        app.count(
            "SELECT COUNT(*) AS n FROM links WHERE checked_at IS NOT NULL \
               AND checked_partner_dob IS NOT NULL AND checked_partner_email IS NOT NULL \
               AND checked_wise IS NOT NULL"
        )
        .await,
        4,
        "every check keeps what it compared, Wise's side sealed"
    );
    let listed = app.get_json("/v1/links?state=needs_review").await;
    let mut reasons: Vec<_> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["review_reason"].as_str().unwrap().to_owned())
        .collect();
    reasons.sort();
    assert_eq!(reasons, ["business_only", "dob_mismatch", "dob_missing"]);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM customers WHERE wise_user_id IS NOT NULL")
            .await,
        0,
        "only verified links pin a Wise user"
    );
}
