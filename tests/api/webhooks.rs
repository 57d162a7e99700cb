//! Webhooks to the partner and the event feed, end to end: endpoints registered over the API, link
//! changes delivered to a real receiver on loopback, every delivery verified by the Standard
//! Webhooks reference library, retries on the clock, the delivery log, resends and rotation.

mod crash;
mod delivery;
mod rebinding;
mod upkeep;

use crate::helpers::{TestApp, awaiting_code, field_codes, json, problem, spawn_app_with, submit};
use crate::webhook_receiver::{Receiver, verified};
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration as StdDuration;

/// An app whose delivery worker looks every 100 ms, with short attempts.
async fn app_with(extra: &[(&str, &str)]) -> TestApp {
    let mut overrides = vec![
        ("WISELINK__WEBHOOKS__DELIVERY_INTERVAL_MS", "100"),
        ("WISELINK__WEBHOOKS__TIMEOUT_SECS", "2"),
        ("WISELINK__WEBHOOKS__LEASE_SECS", "10"),
    ];
    overrides.extend_from_slice(extra);
    spawn_app_with(&overrides).await
}

async fn app() -> TestApp {
    app_with(&[]).await
}

async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
    let request = app.authed(method, path);
    match body {
        Some(body) => request.json(&body),
        None => request,
    }
    .send()
    .await
    .expect("request sent")
}

/// Registers an endpoint; returns the 201 body (with the secret).
async fn register(app: &TestApp, url: &str, events: Value) -> Value {
    let response = call(
        app,
        Method::POST,
        "/v1/webhook-endpoints",
        Some(json!({"url": url, "events": events, "description": "the bank's receiver"})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json(response).await
}

/// A link that went `awaiting_code` → `active` for `customer_ref`; returns its id.
async fn linked(app: &TestApp, customer_ref: &str) -> String {
    let email = format!("{customer_ref}@example.com");
    let (id, session, code) = awaiting_code(app, customer_ref, &email, json!({})).await;
    let done = json(submit(app, &id, &session, &code).await).await;
    assert_eq!(done["state"], "active");
    id
}

fn types(deliveries: &[crate::webhook_receiver::Received]) -> Vec<String> {
    deliveries
        .iter()
        .map(|d| d.json()["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn endpoints_are_registered_read_changed_and_deleted_with_the_secret_shown_once() {
    let app = app().await;
    let created = register(
        &app,
        "http://127.0.0.1:9/hooks",
        json!(["link.active", "link.relink_required"]),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let secret = created["secret"].as_str().unwrap();
    assert!(id.starts_with("we_"));
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(
        created["events"],
        json!(["link.active", "link.relink_required"])
    );
    assert_eq!(created["enabled"], true);

    let read = app.get_json(&format!("/v1/webhook-endpoints/{id}")).await;
    assert!(
        read.get("secret").is_none(),
        "the secret is shown once: {read}"
    );
    let list = app.get_json("/v1/webhook-endpoints").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(secret));

    let changed = json(
        call(
            &app,
            Method::PATCH,
            &format!("/v1/webhook-endpoints/{id}"),
            Some(json!({"events": ["*"], "description": "", "enabled": false})),
        )
        .await,
    )
    .await;
    assert_eq!(changed["events"], json!(["*"]));
    assert_eq!(changed["description"], Value::Null);
    assert_eq!(changed["enabled"], false);
    assert_eq!(changed["disabled_reason"], "partner");

    let gone = call(
        &app,
        Method::DELETE,
        &format!("/v1/webhook-endpoints/{id}"),
        None,
    )
    .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let again = call(
        &app,
        Method::GET,
        &format!("/v1/webhook-endpoints/{id}"),
        None,
    )
    .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(again).await["code"], "webhook_endpoint_not_found");
    for path in [
        "/v1/webhook-endpoints/nope",
        "/v1/webhook-endpoints/we_0123/rotate-secret",
    ] {
        let response = call(&app, Method::GET, path, None).await;
        assert!(
            [StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&response.status()),
            "{path}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM webhook_endpoints")
            .await,
        0
    );
}

#[tokio::test]
async fn bad_endpoints_are_refused_with_a_stable_code_and_nothing_is_stored() {
    let app = app().await;
    let cases = [
        (
            json!({"url": "ftp://example.com/", "events": ["*"]}),
            "url",
            "url_not_https",
        ),
        (
            json!({"url": "http://169.254.169.254/latest/meta-data/", "events": ["*"]}),
            "url",
            "url_not_public",
        ),
        (
            json!({"url": "http://10.0.0.8/hook", "events": ["*"]}),
            "url",
            "url_not_public",
        ),
        (
            json!({"url": "http://[::ffff:192.168.1.1]/hook", "events": ["*"]}),
            "url",
            "url_not_public",
        ),
        (
            json!({"url": "http://[fd00:ec2::254]/", "events": ["*"]}),
            "url",
            "url_not_public",
        ),
        (
            json!({"url": "https://user:pw@example.com/", "events": ["*"]}),
            "url",
            "url_has_credentials",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": []}),
            "events",
            "no_events",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": ["*", "link.active"]}),
            "events",
            "wildcard_with_others",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": ["link.pending"]}),
            "events",
            "unknown_event_type",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": ["link.active", "link.active"]}),
            "events",
            "duplicate_event_type",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": "link.active"}),
            "events",
            "invalid_type",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": ["*"], "secret": "whsec_x"}),
            "secret",
            "unknown_field",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": ["*"], "description": "x".repeat(201)}),
            "description",
            "too_long",
        ),
        (json!({"events": ["*"]}), "url", "required"),
    ];
    for (body, field, code) in cases {
        let response = call(
            &app,
            Method::POST,
            "/v1/webhook-endpoints",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let problem = problem(response).await;
        assert!(
            field_codes(&problem).contains(&(field.to_owned(), code.to_owned())),
            "{body}: {problem}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM webhook_endpoints")
            .await,
        0
    );
}
