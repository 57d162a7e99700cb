//! Starting a link: a partner-created Wise user, refused input, a Wise outage during signup.

use crate::helpers::{awaiting_code, customer, field_codes, json, problem, spawn_app, start};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_partner_created_wise_user_is_active_at_once() {
    let app = spawn_app().await;
    customer(&app, "c-new", "brand.new@example.com", None).await;
    let r = start(&app, "c-new").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let link = json(r).await;
    assert_eq!(
        (link["state"].as_str(), link["origin"].as_str()),
        (Some("active"), Some("created"))
    );
    assert!(link.get("link_session_token").is_none() && link["next_action"].is_null());
    let id = link["id"].as_str().unwrap();
    assert_eq!(app.access_token(id).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn starting_links_refuses_bad_input_and_a_second_live_link() {
    let app = spawn_app().await;
    let r = app
        .authed(Method::POST, "/v1/links")
        .json(&json!({"flow": "carrier_pigeon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let codes = field_codes(&problem(r).await);
    assert_eq!(
        codes,
        [
            ("customer_ref".to_owned(), "required".to_owned()),
            ("flow".to_owned(), "unknown_flow".to_owned())
        ]
    );
    let r = start(&app, "nobody").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(r).await["code"], "customer_not_found");

    awaiting_code(&app, "c-dup", "dup@example.com", json!({})).await;
    let r = start(&app, "c-dup").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem(r).await["code"], "link_exists");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM links").await, 1);
}

#[tokio::test]
async fn wise_outage_during_signup_answers_503_and_leaves_the_link_pending() {
    let app = spawn_app().await;
    customer(&app, "c-503", "outage@example.com", Some(json!({}))).await;
    app.sim()
        .fault(json!({"endpoint": "/v1/user/signup/registration_code", "status": 503}))
        .await;
    let r = start(&app, "c-503").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(problem(r).await["code"], "wise_unavailable");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM links WHERE state = 'pending'")
            .await,
        1
    );
}
