//! Webhooks to the partner and the event feed, end to end: endpoints registered over the API, link
//! changes delivered to a real receiver on loopback, every delivery verified by the Standard
//! Webhooks reference library, retries on the clock, the delivery log, resends and rotation.

mod crash;

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

#[tokio::test]
async fn every_change_of_a_link_arrives_signed_in_order_and_the_feed_shows_the_same_events() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let endpoint = register(&app, &receiver.url, json!(["*"])).await;
    let secret = endpoint["secret"].as_str().unwrap();
    let email = "cust-hooks-1@example.com";
    let (link_id, session, code) = awaiting_code(&app, "cust-hooks-1", email, json!({})).await;
    assert_eq!(
        json(submit(&app, &link_id, &session, &code).await).await["state"],
        "active"
    );

    let got = receiver.wait_accepted(2).await;
    assert_eq!(types(&got), ["link.awaiting_code", "link.active"]);
    assert_eq!(verified(secret, &got), [true, true]);
    let active = got[1].json();
    assert_eq!(active["data"]["link_id"], link_id.as_str());
    assert_eq!(active["data"]["customer_ref"], "cust-hooks-1");
    assert_eq!(active["data"]["state"], "active");
    assert_eq!(active["data"]["reason"], "identity_matched");
    assert_eq!(got[1].webhook_id(), active["id"].as_str().unwrap());
    // Thin: nothing about the customer beyond their reference, and no secret.
    let data_keys: Vec<&String> = active["data"].as_object().unwrap().keys().collect();
    assert_eq!(data_keys, ["customer_ref", "link_id", "reason", "state"]);
    for d in &got {
        for secret_or_personal in [
            "example.com",
            "1990-04-17",
            "Ada",
            "Lovelace",
            &code,
            &session,
        ] {
            assert!(!d.body.contains(secret_or_personal), "{}", d.body);
        }
    }

    // The feed: the same events, ids and order; a poller keeps its place.
    let feed = app.get_json("/v1/events").await;
    let items = feed["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, got.iter().map(|d| d.webhook_id()).collect::<Vec<_>>());
    assert_eq!(items[1], active);
    let cursor = feed["next_cursor"].as_str().unwrap();
    let after = app.get_json(&format!("/v1/events?after={cursor}")).await;
    assert_eq!(after["items"], json!([]));
    assert_eq!(after["next_cursor"], cursor);
    let first_only = app.get_json("/v1/events?limit=1").await;
    assert_eq!(first_only["items"][0]["id"], ids[0]);
    let rest = app
        .get_json(&format!(
            "/v1/events?after={}",
            first_only["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest["items"][0]["id"], ids[1]);
    for bad in [
        "/v1/events?after=-1",
        "/v1/events?after=x",
        "/v1/events?limit=0",
        "/v1/events?since=1",
    ] {
        let response = call(&app, Method::GET, bad, None).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    // The delivery log shows each delivery with its attempt.
    let log = app
        .get_json(&format!(
            "/v1/webhook-deliveries?endpoint_id={}",
            endpoint["id"].as_str().unwrap()
        ))
        .await;
    let deliveries = log["items"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2);
    for d in deliveries {
        assert_eq!(d["status"], "delivered");
        assert_eq!(d["attempts"][0]["status_code"], 200);
        assert_eq!(
            d["attempts"][0]["response_excerpt"],
            "receiver answered 200"
        );
    }
}

#[tokio::test]
async fn an_endpoint_gets_only_the_types_it_subscribed_to() {
    let app = app().await;
    let everything = Receiver::start().await;
    let some = Receiver::start().await;
    register(&app, &everything.url, json!(["*"])).await;
    register(&app, &some.url, json!(["link.active"])).await;
    linked(&app, "cust-hooks-2").await;
    everything.wait_accepted(2).await;
    let got = some.wait_accepted(1).await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(types(&some.received()), ["link.active"]);
    assert_eq!(got[0].json()["data"]["state"], "active");
}

#[tokio::test]
async fn a_receiver_that_is_down_for_a_day_gets_every_event_later_in_the_order_they_happened() {
    let app = app().await;
    let receiver = Receiver::start().await;
    receiver.answer(503);
    let endpoint = register(&app, &receiver.url, json!(["*"])).await;
    let endpoint_id = endpoint["id"].as_str().unwrap().to_owned();
    linked(&app, "cust-hooks-3").await;

    let first = receiver
        .wait_until("a first attempt", |got| !got.is_empty())
        .await;
    assert_eq!(types(&first), ["link.awaiting_code"]);
    // Several passes later the link's second event still waits behind its first.
    tokio::time::sleep(StdDuration::from_millis(600)).await;
    assert_eq!(types(&receiver.received()), ["link.awaiting_code"]);
    let log = app
        .get_json(&format!(
            "/v1/webhook-deliveries?endpoint_id={endpoint_id}&status=pending"
        ))
        .await;
    let pending = log["items"].as_array().unwrap();
    assert_eq!(pending.len(), 2);
    let waiting = pending
        .iter()
        .find(|d| d["event_type"] == "link.active")
        .unwrap();
    assert_eq!(waiting["attempt_count"], 0);
    let failing = pending
        .iter()
        .find(|d| d["event_type"] == "link.awaiting_code")
        .unwrap();
    assert_eq!(failing["attempts"][0]["status_code"], 503);
    assert_eq!(failing["attempts"][0]["error"], "answered 503");

    // A day passes, an hour at a time: attempts follow the schedule, never the second event.
    for _ in 0..24 {
        app.advance(Duration::hours(1));
        tokio::time::sleep(StdDuration::from_millis(250)).await;
    }
    let attempts = receiver.received();
    assert!(
        (7..=10).contains(&attempts.len()),
        "one attempt after each wait of the schedule that fits in a day: {}",
        attempts.len()
    );
    assert!(
        attempts
            .iter()
            .all(|a| a.webhook_id() == attempts[0].webhook_id())
    );

    receiver.answer(204);
    app.advance(Duration::hours(24));
    let got = receiver.wait_accepted(2).await;
    assert_eq!(types(&got), ["link.awaiting_code", "link.active"]);
    assert_eq!(
        verified(endpoint["secret"].as_str().unwrap(), &got),
        [true, true]
    );
    let endpoint = app
        .get_json(&format!("/v1/webhook-endpoints/{endpoint_id}"))
        .await;
    assert_eq!(
        endpoint["failing_since"],
        Value::Null,
        "a delivery ends the failing streak"
    );
}

#[tokio::test]
async fn redirects_are_not_followed_and_a_hanging_receiver_never_delays_the_link() {
    let app = app().await;
    let target = Receiver::start().await;
    let redirecting = Receiver::start().await;
    redirecting.answer(307);
    redirecting.redirect_to(&target.url);
    let hanging = Receiver::start().await;
    hanging.delay(StdDuration::from_secs(20));
    register(&app, &redirecting.url, json!(["link.awaiting_code"])).await;
    let slow = register(&app, &hanging.url, json!(["link.awaiting_code"])).await;

    let started = std::time::Instant::now();
    awaiting_code(&app, "cust-hooks-4", "cust-hooks-4@example.com", json!({})).await;
    assert!(started.elapsed() < StdDuration::from_secs(5));

    redirecting
        .wait_until("the redirecting attempt", |got| !got.is_empty())
        .await;
    let slow_id = slow["id"].as_str().unwrap();
    let mut timed_out = Value::Null;
    for _ in 0..100 {
        let log = app
            .get_json(&format!("/v1/webhook-deliveries?endpoint_id={slow_id}"))
            .await;
        if !log["items"][0]["attempts"].as_array().unwrap().is_empty() {
            timed_out = log["items"][0]["attempts"][0].clone();
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(timed_out["status_code"], Value::Null, "{timed_out}");
    assert!(
        timed_out["error"]
            .as_str()
            .unwrap()
            .starts_with("no answer in time"),
        "{timed_out}"
    );
    let log = app.get_json("/v1/webhook-deliveries?status=pending").await;
    let redirected = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["attempts"][0]["status_code"] == 307)
        .expect("the redirect is logged");
    assert_eq!(redirected["attempts"][0]["error"], "redirect not followed");
    assert!(
        target.received().is_empty(),
        "the redirect was not followed"
    );
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let endpoint = register(&app, &receiver.url, json!(["*"])).await;
    let id = endpoint["id"].as_str().unwrap();
    let old = endpoint["secret"].as_str().unwrap();
    let rotated = json(
        call(
            &app,
            Method::POST,
            &format!("/v1/webhook-endpoints/{id}/rotate-secret"),
            Some(json!({"overlap_secs": 60})),
        )
        .await,
    )
    .await;
    let new = rotated["secret"].as_str().unwrap();
    assert_ne!(new, old);
    assert!(rotated["previous_secret_expires_at"].is_string());

    let email = "cust-hooks-5@example.com";
    let (link, session, code) = awaiting_code(&app, "cust-hooks-5", email, json!({})).await;
    let during = receiver.wait_accepted(1).await;
    assert_eq!(during[0].headers["webhook-signature"].split(' ').count(), 2);
    assert_eq!(verified(new, &during), [true]);
    assert_eq!(verified(old, &during), [true]);

    app.advance(Duration::minutes(2));
    assert_eq!(
        json(submit(&app, &link, &session, &code).await).await["state"],
        "active"
    );
    let after = receiver.wait_accepted(2).await;
    assert_eq!(verified(new, &after[1..]), [true]);
    assert_eq!(verified(old, &after[1..]), [false]);
    let read = app.get_json(&format!("/v1/webhook-endpoints/{id}")).await;
    assert_eq!(read["previous_secret_expires_at"], Value::Null);

    let bad = call(
        &app,
        Method::POST,
        &format!("/v1/webhook-endpoints/{id}/rotate-secret"),
        Some(json!({"overlap_secs": 999_999_999})),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_endpoint_failing_for_too_long_is_disabled_and_catches_up_once_enabled() {
    let app = app_with(&[("WISELINK__WEBHOOKS__DISABLE_AFTER_HOURS", "1")]).await;
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let endpoint = register(&app, &receiver.url, json!(["*"])).await;
    let id = endpoint["id"].as_str().unwrap();
    awaiting_code(&app, "cust-hooks-6", "cust-hooks-6@example.com", json!({})).await;
    receiver
        .wait_until("a first attempt", |got| !got.is_empty())
        .await;
    for _ in 0..8 {
        app.advance(Duration::minutes(30));
        tokio::time::sleep(StdDuration::from_millis(250)).await;
    }
    let read = app.get_json(&format!("/v1/webhook-endpoints/{id}")).await;
    assert_eq!(read["enabled"], false, "{read}");
    assert_eq!(read["disabled_reason"], "failing");
    let metrics = app.metrics().await;
    for series in [
        "wiselink_webhook_endpoints_disabled ",
        "wiselink_webhook_oldest_undelivered_seconds ",
        r#"wiselink_webhook_deliveries_total{outcome="retry"}"#,
        "wiselink_webhook_endpoints_disabled_total ",
    ] {
        assert!(metrics.contains(series), "{series} in /metrics");
    }
    let tried = receiver.received().len();
    app.advance(Duration::hours(12));
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(
        receiver.received().len(),
        tried,
        "a disabled endpoint gets nothing"
    );

    receiver.answer(200);
    let enabled = json(
        call(
            &app,
            Method::PATCH,
            &format!("/v1/webhook-endpoints/{id}"),
            Some(json!({"enabled": true})),
        )
        .await,
    )
    .await;
    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["disabled_reason"], Value::Null);
    let got = receiver.wait_accepted(1).await;
    assert_eq!(types(&got), ["link.awaiting_code"]);
}

#[tokio::test]
async fn an_event_is_sent_again_on_request_with_its_original_id() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let endpoint = register(&app, &receiver.url, json!(["*"])).await;
    let id = endpoint["id"].as_str().unwrap();
    awaiting_code(&app, "cust-hooks-7", "cust-hooks-7@example.com", json!({})).await;
    let first = receiver.wait_accepted(1).await;
    let event_id = first[0].webhook_id().to_owned();

    let resent = call(
        &app,
        Method::POST,
        &format!("/v1/webhook-endpoints/{id}/resend"),
        Some(json!({"event_id": event_id})),
    )
    .await;
    assert_eq!(resent.status(), StatusCode::ACCEPTED);
    assert_eq!(json(resent).await["queued"], 1);
    let again = receiver.wait_accepted(2).await;
    assert_eq!(again[1].webhook_id(), event_id);
    assert_eq!(again[1].body, first[0].body);

    // An endpoint registered later can be sent an earlier event too.
    let late = Receiver::start().await;
    let late_endpoint = register(&app, &late.url, json!(["link.active"])).await;
    let queued = json(
        call(
            &app,
            Method::POST,
            &format!(
                "/v1/webhook-endpoints/{}/resend",
                late_endpoint["id"].as_str().unwrap()
            ),
            Some(json!({"event_id": event_id})),
        )
        .await,
    )
    .await;
    assert_eq!(queued["queued"], 1);
    assert_eq!(late.wait_accepted(1).await[0].webhook_id(), event_id);

    let unknown = call(
        &app,
        Method::POST,
        &format!("/v1/webhook-endpoints/{id}/resend"),
        Some(json!({"event_id": "evt_00000000000000000000000000000000"})),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(unknown).await["code"], "event_not_found");
    let both = call(
        &app,
        Method::POST,
        &format!("/v1/webhook-endpoints/{id}/resend"),
        Some(json!({"event_id": event_id, "failed_since": "2026-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(both.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let failed_none = json(
        call(
            &app,
            Method::POST,
            &format!("/v1/webhook-endpoints/{id}/resend"),
            Some(json!({"failed_since": "2026-01-01T00:00:00Z"})),
        )
        .await,
    )
    .await;
    assert_eq!(failed_none["queued"], 0, "nothing failed");
}

#[tokio::test]
async fn two_instances_share_the_deliveries_without_sending_one_twice() {
    let overrides = [
        ("WISELINK__WEBHOOKS__DELIVERY_INTERVAL_MS", "50"),
        ("WISELINK__WEBHOOKS__CONCURRENCY", "4"),
    ];
    let first = app_with(&overrides).await;
    let second = first.second_instance(&overrides).await;
    let receiver = Receiver::start().await;
    receiver.delay(StdDuration::from_millis(20));
    let endpoint = register(&first, &receiver.url, json!(["*"])).await;
    let customers: Vec<String> = (0..8).map(|n| format!("cust-pair-{n}")).collect();
    let links = customers.iter().enumerate().map(|(n, customer)| {
        let app = if n % 2 == 0 { &first } else { &second };
        linked(app, customer)
    });
    futures_util::future::join_all(links).await;

    let got = receiver.wait_accepted(16).await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    let got_now = receiver.received();
    assert_eq!(got_now.len(), 16, "each event once: {}", got_now.len());
    let mut ids: Vec<&str> = got.iter().map(|d| d.webhook_id()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 16);
    let mut order: std::collections::HashMap<String, Vec<String>> = Default::default();
    for d in &got {
        let event = d.json();
        order
            .entry(event["data"]["link_id"].as_str().unwrap().to_owned())
            .or_default()
            .push(event["type"].as_str().unwrap().to_owned());
    }
    for types in order.values() {
        assert_eq!(types, &["link.awaiting_code", "link.active"]);
    }
    assert!(
        verified(endpoint["secret"].as_str().unwrap(), &got)
            .iter()
            .all(|ok| *ok)
    );
}
