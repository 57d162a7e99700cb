//! Retention: final links lose their personal data once `retention.final_link_days` passed; live
//! links and the customer's own details stay.

use super::{EMAIL, linked_canary};
use crate::audit::{sealed, verify};
use crate::helpers::{awaiting_code, json, spawn_app};
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration as StdDuration;

#[tokio::test]
async fn retention_erases_final_links_past_the_period_and_leaves_the_rest() {
    let app = spawn_app().await;
    let ended = linked_canary(&app, "kept-1").await;
    let r = app
        .authed(Method::DELETE, &format!("/v1/links/{ended}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (live, _, _) = awaiting_code(&app, "kept-2", "kept.two@example.com", json!({})).await;
    let erased_links = "SELECT COUNT(*) AS n FROM links WHERE personal_data_erased_at IS NOT NULL";

    app.advance(Duration::days(89));
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    assert_eq!(app.count(erased_links).await, 0, "not before the period");

    app.advance(Duration::days(2));
    let mut erased = 0;
    for _ in 0..100 {
        erased = app.count(erased_links).await;
        if erased > 0 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(erased, 1, "the final link past retention, and only it");
    let scrubbed = "SELECT COUNT(*) AS n FROM links l JOIN link_reviews r ON r.link_id = l.id \
                    WHERE l.signup_email = '' AND l.wise_user_id IS NULL \
                    AND r.checked_partner_email IS NULL AND l.personal_data_erased_at IS NOT NULL";
    assert_eq!(app.count(scrubbed).await, 1);
    let link = app.get_json(&format!("/v1/links/{ended}")).await;
    assert_eq!(link["state"], "unlinked", "the record stays");
    let live = app.get_json(&format!("/v1/links/{live}")).await;
    assert_eq!(live["state"], "awaiting_code");
    // The customer is the partner's until it erases them; stored answers went with their period.
    let customer = json(app.get_customer("kept-1").await).await;
    assert_eq!(customer["email"], EMAIL);
    let answers = "SELECT COUNT(*) AS n FROM idempotency_keys";
    assert_eq!(
        app.count(answers).await,
        0,
        "idempotency.retention_hours passed too"
    );
    sealed(&app).await;
    let (ok, out, err) = verify(&app);
    assert!(ok, "{out}{err}");
}
