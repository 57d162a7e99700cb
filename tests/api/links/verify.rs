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
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM links JOIN link_tokens t ON t.link_id = links.id WHERE state = 'needs_review' AND access_token IS NOT NULL").await, 3, "tokens kept sealed for review");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM links JOIN link_tokens t ON t.link_id = links.id WHERE state = 'rejected' AND access_token IS NOT NULL"
        )
        .await,
        0,
        "rejected links keep no tokens"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM link_reviews WHERE checked_at IS NOT NULL \
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

#[tokio::test]
async fn profiles_wise_will_not_list_send_the_link_to_review_never_active_or_rejected() {
    let app = spawn_app().await;
    for (customer_ref, wise) in [
        // /v1/me mirrors a matching date of birth: still not vouched for.
        ("pr-match", json!({})),
        // Business only: /v1/me has no date of birth; not rejected either.
        ("pr-biz", json!({"business": true})),
    ] {
        let email = format!("{customer_ref}@example.com");
        let (id, session, code) = awaiting_code(&app, customer_ref, &email, wise).await;
        let status = if customer_ref == "pr-match" { 403 } else { 404 };
        app.sim()
            .fault(json!({"endpoint": "/v2/profiles", "status": status, "count": 1}))
            .await;
        let done = json(submit(&app, &id, &session, &code).await).await;
        assert_eq!(done["state"], "needs_review", "{customer_ref}: {done}");
        assert_eq!(
            done["review_reason"], "profile_unreadable",
            "{customer_ref}"
        );
        assert!(done["wise_profile_id"].is_null());
        let r = app.access_token(&id).await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "no token in review");
        assert_eq!(problem(r).await["code"], "invalid_state");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM links WHERE state = 'active'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_redirect_uri_wise_refuses_costs_the_customer_no_attempt() {
    // wiselink's redirect_uri is not the one registered with (the simulated) Wise.
    let app = crate::helpers::spawn_app_with(&[(
        "WISELINK__WISE__REDIRECT_URI",
        "https://partner.example/not-registered",
    )])
    .await;
    let (id, session, code) = awaiting_code(&app, "ru-1", "ru-1@example.com", json!({})).await;
    let r = submit(&app, &id, &session, &code).await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(problem(r).await["code"], "code_exchange_failed");
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["state"], "awaiting_code");
    assert_eq!(
        link["attempts_remaining"], 5,
        "the customer is not to blame"
    );
}
