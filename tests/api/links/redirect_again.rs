//! A redirect link whose trip did not end in tokens goes back to waiting for a trip to Wise's
//! page — never to a code Wise does not email — and a native app can always get a new URL.

use super::redirect::{on_wise_page, param, redirect_link, token_calls};
use crate::helpers::{TestApp, awaiting_code, json, problem, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// What a native app forwards from its deep link: the code and state Wise's page sent back.
pub(super) async fn forward_trip(
    app: &TestApp,
    id: &str,
    session: &str,
    back: &url::Url,
) -> reqwest::Response {
    let body = json!({"code": param(back, "code"), "state": param(back, "state")});
    forward(app, id, session, body).await
}

/// What a native app forwards from its deep link.
async fn forward(app: &TestApp, id: &str, session: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/links/{id}/authorization")))
        .bearer_auth(session)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn new_url(app: &TestApp, id: &str, bearer: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/links/{id}/authorization-url")))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
}

/// The link as its session sees it, and the page the customer would open.
async fn waiting_for_wise(app: &TestApp, id: &str, session: &str) {
    let link = json(
        app.client
            .get(app.url(&format!("/v1/links/{id}")))
            .bearer_auth(session)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(link["state"], "awaiting_authorization", "{link}");
    assert_eq!(link["next_action"]["type"], "redirect", "{link}");
    let page = crate::helpers::get_text(&app.client, &app.url(&format!("/link/{session}"))).await;
    assert!(
        page.contains(r#"name="action" value="continue""#),
        "the page offers Wise's page again"
    );
    assert!(!page.contains(r#"name="code""#), "and asks for no code");
}

#[tokio::test]
async fn a_lost_exchange_returns_the_link_to_wises_page_and_a_new_url_links_it() {
    let app = spawn_app().await;
    let (id, session, url) = redirect_link(&app, "ra-lost").await;
    let back = on_wise_page(&app, &url, "ra-lost@example.com", "allow").await;
    app.sim()
        .fault(json!({"endpoint": "/oauth/token", "drop_response": true, "count": 1}))
        .await;
    let lost = forward_trip(&app, &id, &session, &back).await;
    assert_eq!(lost.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(problem(lost).await["code"], "code_exchange_failed");
    waiting_for_wise(&app, &id, &session).await;

    let again = new_url(&app, &id, &session).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["cache-control"], "no-store");
    let again = json(again).await;
    let url = url::Url::parse(again["url"].as_str().unwrap()).unwrap();
    assert!(again["expires_at"].is_string());
    let back = on_wise_page(&app, &url, "ra-lost@example.com", "allow").await;
    let done = forward_trip(&app, &id, &session, &back).await;
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(json(done).await["state"], "active");
}

#[tokio::test]
async fn a_refused_code_returns_the_link_to_wises_page_with_one_attempt_spent() {
    let app = spawn_app().await;
    let (id, session, url) = redirect_link(&app, "ra-refused").await;
    let back = on_wise_page(&app, &url, "ra-refused@example.com", "allow").await;
    let refused = forward(
        &app,
        &id,
        &session,
        json!({"code": "NOT-THE-CODE-1", "state": param(&back, "state")}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = problem(refused).await;
    assert_eq!(refused["code"], "invalid_code");
    assert_eq!(refused["attempts_remaining"], 4);
    waiting_for_wise(&app, &id, &session).await;
    // The state went with the refused trip: the app asks for a new URL.
    assert_eq!(new_url(&app, &id, &session).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_native_app_gets_a_new_url_after_the_first_state_expires() {
    let app = spawn_app().await;
    let (id, session, url) = redirect_link(&app, "ra-late").await;
    let first_state = param(&url, "state").unwrap();
    app.advance(chrono::Duration::minutes(11));
    let back = on_wise_page(&app, &url, "ra-late@example.com", "allow").await;
    let calls = token_calls(&app).await;
    let expired = forward(
        &app,
        &id,
        &session,
        json!({"code": param(&back, "code"), "state": first_state}),
    )
    .await;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert_eq!(problem(expired).await["code"], "state_expired");
    assert_eq!(token_calls(&app).await, calls, "nothing reached Wise");

    // The partner's backend may ask too (API key).
    let again = json(new_url(&app, &id, &app.api_key).await).await;
    let url = url::Url::parse(again["url"].as_str().unwrap()).unwrap();
    let state = param(&url, "state").unwrap();
    assert_ne!(state, first_state);
    assert_eq!(token_calls(&app).await, calls, "issuing a URL calls nobody");
    let back = on_wise_page(&app, &url, "ra-late@example.com", "allow").await;
    let done = forward_trip(&app, &id, &session, &back).await;
    assert_eq!(json(done).await["state"], "active");
    // Once linked, there is no trip to make.
    let r = new_url(&app, &id, &session).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem(r).await["code"], "invalid_state");
}

#[tokio::test]
async fn an_email_code_link_has_no_authorization_url_and_a_stranger_none_at_all() {
    let app = spawn_app().await;
    let (id, session, _) = awaiting_code(&app, "ra-email", "ra-email@example.com", json!({})).await;
    let r = new_url(&app, &id, &session).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem(r).await["code"], "invalid_state");
    let (other, other_session, _) = redirect_link(&app, "ra-other").await;
    let r = new_url(&app, &other, &session).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "another link's session");
    let r = new_url(&app, &other, "not-a-session").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        new_url(&app, &other, &other_session).await.status(),
        StatusCode::OK
    );
}
