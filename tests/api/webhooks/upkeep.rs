//! Looking after endpoints: secret rotation, disabling a failing endpoint, resending, and two
//! instances sharing the work.

use super::*;

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

#[tokio::test]
async fn events_past_the_retention_leave_the_feed_and_the_log_and_an_old_cursor_still_reads_on() {
    let app = app().await;
    let receiver = Receiver::start().await;
    register(&app, &receiver.url, json!(["*"])).await;
    let id = linked(&app, "ret-1").await;
    receiver.wait_accepted(2).await;
    let before = app.get_json("/v1/events").await;
    assert_eq!(before["items"].as_array().unwrap().len(), 2);
    let cursor = before["next_cursor"].as_str().unwrap().to_owned();
    let logged = app.get_json("/v1/webhook-deliveries").await;
    assert_eq!(logged["items"].as_array().unwrap().len(), 2);

    app.advance(Duration::days(31));
    // Deleted but the newest, which the feed's next positions count on from.
    let mut left = usize::MAX;
    for _ in 0..100 {
        left = app.get_json("/v1/events").await["items"]
            .as_array()
            .unwrap()
            .len();
        if left == 1 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(
        left, 1,
        "events older than webhooks.retention_days are gone"
    );
    let kept = app.get_json("/v1/events").await;
    assert_eq!(kept["items"][0]["type"], "link.active");
    let logged = app.get_json("/v1/webhook-deliveries").await;
    assert_eq!(logged["items"].as_array().unwrap().len(), 1, "{logged}");

    let r = call(&app, Method::DELETE, &format!("/v1/links/{id}"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let mut after = Vec::new();
    for _ in 0..100 {
        after = app.get_json(&format!("/v1/events?after={cursor}")).await["items"]
            .as_array()
            .unwrap()
            .clone();
        if !after.is_empty() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let types: Vec<&str> = after.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["link.unlinked"]);
}
