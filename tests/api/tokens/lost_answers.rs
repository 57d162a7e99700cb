//! A refresh whose answer is lost is never retried blindly: Wise is asked whether the stored access
//! token still works, and `invalid_grant` after a lost answer is not taken for a revocation.

use super::{active_link, refreshes, token_of, works_at_wise};
use crate::helpers::{customer, json, problem, spawn_app, start};
use reqwest::StatusCode;
use serde_json::json;

async fn drop_next_refresh(app: &crate::helpers::TestApp) {
    app.sim()
        .fault(json!({"endpoint": "/oauth/token", "drop_response": true}))
        .await;
}

#[tokio::test]
async fn a_lost_answer_where_refresh_tokens_stay_the_same_keeps_the_link() {
    let app = spawn_app().await;
    let id = active_link(&app, "la-1").await;
    app.advance(chrono::Duration::hours(12));
    drop_next_refresh(&app).await;
    let r = app.access_token(&id).await;
    assert_eq!(
        r.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "the answer was lost"
    );
    assert_eq!(
        refreshes(&app).await.len(),
        1,
        "the client did not repeat the refresh"
    );

    let token = token_of(&app, &id).await;
    assert!(works_at_wise(&app, &token).await);
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["state"], "active");
    let calls = refreshes(&app).await;
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0]["body"]["refresh_token"], calls[1]["body"]["refresh_token"],
        "the same refresh token, reused after Wise showed it had acted"
    );
}

#[tokio::test]
async fn a_lost_answer_where_refresh_tokens_rotate_is_not_taken_for_a_revocation() {
    let app = spawn_app().await;
    app.sim()
        .variants(json!({"rotate_refresh_tokens": true}))
        .await;
    let id = active_link(&app, "la-2").await;
    app.advance(chrono::Duration::hours(12));
    drop_next_refresh(&app).await;
    assert_eq!(
        app.access_token(&id).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    // Wise rotated the refresh token in the answer that was lost: the new pair is gone, and only
    // the customer can give new consent.
    let r = app.access_token(&id).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem(r).await["code"], "relink_required");
    let events = app.event_names(&id).await;
    assert!(events.contains(&"tokens_lost".to_owned()), "{events:?}");
    assert!(!events.contains(&"access_revoked".to_owned()), "{events:?}");
    let me_calls = app.sim().calls_to("/v1/me").await;
    assert!(
        me_calls >= 1,
        "Wise was asked whether the old token still worked"
    );
}

#[tokio::test]
async fn a_partner_created_user_whose_rotated_tokens_were_lost_is_granted_new_ones() {
    let app = spawn_app().await;
    app.sim()
        .variants(json!({"rotate_refresh_tokens": true}))
        .await;
    customer(&app, "la-3", "la-3@example.com", None).await;
    let link = json(start(&app, "la-3").await).await;
    assert_eq!(
        (link["state"].as_str(), link["origin"].as_str()),
        (Some("active"), Some("created"))
    );
    let id = link["id"].as_str().unwrap().to_owned();
    app.advance(chrono::Duration::hours(12));
    drop_next_refresh(&app).await;
    assert_eq!(
        app.access_token(&id).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let token = token_of(&app, &id).await;
    assert!(works_at_wise(&app, &token).await);
    let events = app.event_names(&id).await;
    assert!(
        events.contains(&"tokens_regranted".to_owned()),
        "{events:?}"
    );
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "active"
    );
}

#[tokio::test]
async fn a_reclaimed_user_whose_refresh_is_refused_must_link_again_and_the_code_is_destroyed() {
    let app = spawn_app().await;
    customer(&app, "la-4", "la-4@example.com", None).await;
    let link = json(start(&app, "la-4").await).await;
    let id = link["id"].as_str().unwrap().to_owned();
    let user = link["wise_user_id"].as_i64().unwrap();
    app.sim().user_action(user, "reclaim", None).await;
    app.sim().user_action(user, "revoke", None).await;
    app.advance(chrono::Duration::hours(12));
    let r = app.access_token(&id).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem(r).await["code"], "relink_required");
    let grants = app
        .sim()
        .calls()
        .await
        .into_iter()
        .filter(|c| c["body"]["grant_type"] == "registration_code")
        .count();
    assert_eq!(
        grants, 2,
        "the signup's grant, then one try after the refused refresh"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM links WHERE state = 'relink_required' AND registration_code IS NULL").await,
        1
    );
}
