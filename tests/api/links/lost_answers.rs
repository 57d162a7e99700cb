//! Answers from Wise that never arrived, and answers that change what a link is: every one leads
//! to a recorded, coherent state, and a retry answers as the first request would have.

use crate::helpers::{TestApp, customer, json, problem, spawn_app_with, spawn_recovering_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SIGNUP: &str = "/v1/user/signup/registration_code";

async fn start_with_key(app: &TestApp, customer_ref: &str, key: &str) -> reqwest::Response {
    app.authed(Method::POST, "/v1/links")
        .header("Idempotency-Key", key)
        .json(&json!({"customer_ref": customer_ref}))
        .send()
        .await
        .unwrap()
}

async fn only_link(app: &TestApp, customer_ref: &str) -> Value {
    let listed = app
        .get_json(&format!("/v1/links?customer_ref={customer_ref}"))
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    listed["items"][0].clone()
}

/// Waits (at most 10 s) for the recovery worker to move the link out of `pending`.
async fn recovered(app: &TestApp, id: &str) -> Value {
    app.advance(chrono::Duration::seconds(31));
    for _ in 0..100 {
        let link = app.get_json(&format!("/v1/links/{id}")).await;
        if link["state"] != "pending" {
            return link;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the link stayed pending");
}

#[tokio::test]
async fn a_signup_whose_answer_was_lost_links_the_user_it_created() {
    let app = spawn_recovering_app().await;
    customer(&app, "c-drop", "new.user@example.com", None).await;
    app.sim()
        .fault(json!({"endpoint": SIGNUP, "drop_response": true}))
        .await;
    let r = app.start_link("c-drop").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let id = only_link(&app, "c-drop").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Wise did create the user; the repeated signup meets it as a conflict.
    let link = recovered(&app, &id).await;
    assert_eq!(
        (link["state"].as_str(), link["origin"].as_str()),
        (Some("active"), Some("created")),
        "{link}"
    );
    assert!(
        app.event_names(&id)
            .await
            .contains(&"wise_user_created".to_owned())
    );
    let token = app.access_token(&id).await;
    assert_eq!(token.status(), StatusCode::OK);
    assert_eq!(json(token).await["profile_id"], link["wise_profile_id"]);
}

#[tokio::test]
async fn a_retried_start_after_a_503_resumes_the_pending_link() {
    let app = spawn_app_with(&[]).await;
    let email = "retry.start@example.com";
    customer(&app, "c-retry", email, Some(json!({}))).await;
    app.sim()
        .fault(json!({"endpoint": SIGNUP, "status": 500}))
        .await;
    let first = start_with_key(&app, "c-retry", "start-c-retry-1").await;
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem(first).await["code"], "wise_unavailable");

    let retry = start_with_key(&app, "c-retry", "start-c-retry-1").await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    let link = json(retry).await;
    assert_eq!(link["state"], "awaiting_code");
    let session = link["link_session_token"].as_str().unwrap().to_owned();
    assert_eq!(
        link["id"],
        only_link(&app, "c-retry").await["id"],
        "the pending link, not a second one"
    );
    // The replay of the stored answer is the same link.
    let replay = start_with_key(&app, "c-retry", "start-c-retry-1").await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(json(replay).await["id"], link["id"]);

    let id = link["id"].as_str().unwrap();
    let code = app.sim().latest_code(email).await;
    let done = app.submit_code(id, &session, &code).await;
    assert_eq!(json(done).await["state"], "active");
}

#[tokio::test]
async fn a_resend_after_the_email_changed_at_wise_links_the_new_user() {
    let app = spawn_app_with(&[]).await;
    let email = "moved@example.com";
    customer(&app, "c-moved", email, None).await;
    let old = app.sim().seed(email, json!({})).await;
    let started = json(app.start_link("c-moved").await).await;
    let (id, session) = (
        started["id"].as_str().unwrap(),
        started["link_session_token"].as_str().unwrap(),
    );
    app.sim()
        .user_action(
            old.user_id,
            "change-email",
            Some(json!({"email": "moved.elsewhere@example.com"})),
        )
        .await;
    app.advance(chrono::Duration::seconds(61));

    let r = app.resend(id, session).await;
    assert_eq!(r.status(), StatusCode::OK);
    let link = json(r).await;
    assert_eq!(
        (link["state"].as_str(), link["origin"].as_str()),
        (Some("active"), Some("created")),
        "{link}"
    );
    assert_ne!(
        link["wise_user_id"],
        json!(old.user_id),
        "the user Wise created"
    );
    assert_eq!(
        app.event_names(id).await.last().unwrap(),
        "wise_user_created"
    );
    assert_eq!(app.access_token(id).await.status(), StatusCode::OK);
}
