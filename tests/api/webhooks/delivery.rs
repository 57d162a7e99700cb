//! Deliveries as a receiver sees them: signed, in order per link, only the subscribed types, on
//! schedule while the receiver is down, never through a redirect, never slowing the link.

use super::*;

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
