//! How deliveries arrive: forged, unsigned and wrong-key ones refused with nothing stored, a
//! repeated `X-Delivery-Id` changing nothing, an older event after a newer one ignored, test
//! notifications and unknown types acknowledged only, and a deactivation landing while a refresh
//! is in flight.

use super::{active_link, app, count, link, sim_answers, subscribe, until};
use crate::helpers::{TestApp, json, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration as StdDuration;

/// Posts `body` to `/wise/webhooks` as Wise would, signed with the simulator's key unless
/// `signature` says otherwise.
async fn deliver(
    app: &TestApp,
    delivery_id: &str,
    body: &Value,
    signature: Option<&str>,
) -> reqwest::Response {
    let raw = body.to_string();
    let signature = signature
        .map(str::to_owned)
        .unwrap_or_else(|| wiselink_simulator::sign_webhook(raw.as_bytes()));
    app.client
        .post(app.url("/wise/webhooks"))
        .header("content-type", "application/json")
        .header("x-delivery-id", delivery_id)
        .header("x-signature-sha256", signature)
        .body(raw)
        .send()
        .await
        .unwrap()
}

fn user_event(user: i64, state: &str, occurred_at: &str) -> Value {
    json!({
        "data": {
            "resource": {"id": user, "type": "user"},
            "previous_state": "ACTIVE",
            "current_state": state,
            "occurred_at": occurred_at,
        },
        "subscription_id": "f2264fe5-a0f6-4b58-8a3e-3e2b4b3a7c11",
        "event_type": "users#state-change",
        "schema_version": "2.0.0",
        "sent_at": occurred_at,
    })
}

async fn stored(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) AS n FROM wise_deliveries".to_owned()).await
}

#[tokio::test]
async fn forged_unsigned_and_wrong_key_deliveries_are_refused_and_wise_s_retry_gets_through() {
    let app = app().await;
    subscribe(&app).await;
    let (id, user, _) = active_link(&app, "wf-1").await;

    // By hand: a changed byte, no header, garbage.
    let body = user_event(user, "DEACTIVATED", "2026-12-06T10:00:00Z");
    let good = wiselink_simulator::sign_webhook(body.to_string().as_bytes());
    let mut forged = good.clone().into_bytes();
    forged[10] = if forged[10] == b'A' { b'B' } else { b'A' };
    for signature in [
        String::from_utf8(forged).unwrap(),
        String::new(),
        "not base64!".into(),
    ] {
        let refused = problem(deliver(&app, "d-forged", &body, Some(&signature)).await).await;
        assert_eq!(refused["status"], 401);
        assert_eq!(refused["code"], "wise_signature_invalid");
    }
    let tampered = user_event(user, "DEACTIVATED", "2026-12-06T10:00:01Z");
    let refused = problem(deliver(&app, "d-tampered", &tampered, Some(&good)).await).await;
    assert_eq!(
        refused["code"], "wise_signature_invalid",
        "a signature of another body"
    );
    assert_eq!(stored(&app).await, 0, "nothing stored");

    // From the simulator: the next attempt signed by a key that is not Wise's.
    let r = app
        .sim()
        .control(
            reqwest::Method::POST,
            "/__sim/webhooks/forge",
            Some(json!({"mode": "wrong_key"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    app.sim().user_action(user, "withdraw-only", None).await;
    for _ in 0..100 {
        if sim_answers(&app).await == [vec![401]] {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert_eq!(sim_answers(&app).await, [vec![401]]);
    assert_eq!(stored(&app).await, 0);
    assert_eq!(link(&app, &id).await["wise_user_state"], Value::Null);

    // Wise retries a minute later, properly signed.
    app.sim().advance(61).await;
    until(&app, &id, |l| l["wise_user_state"] == "withdraw_only").await;
    assert_eq!(sim_answers(&app).await, [vec![401, 200]]);
}

#[tokio::test]
async fn a_repeated_delivery_changes_nothing_and_an_older_event_after_a_newer_one_is_ignored() {
    let app = app().await;
    let (id, user, _) = active_link(&app, "wo-1").await;

    let newer = user_event(user, "WITHDRAW_ONLY", "2026-12-06T10:00:05Z");
    let receipt = json(deliver(&app, "d-newer", &newer, None).await).await;
    assert_eq!(receipt["status"], "accepted");
    until(&app, &id, |l| l["wise_user_state"] == "withdraw_only").await;
    assert_eq!(
        link(&app, &id).await["wise_user_deactivates_on"],
        "2027-03-06"
    );

    let again = json(deliver(&app, "d-newer", &newer, None).await).await;
    assert_eq!(again["status"], "duplicate");

    let older = user_event(user, "ACTIVE", "2026-12-06T10:00:00Z");
    assert_eq!(
        json(deliver(&app, "d-older", &older, None).await).await["status"],
        "accepted"
    );
    for _ in 0..100 {
        let done = count(
            &app,
            "SELECT COUNT(*) AS n FROM wise_deliveries WHERE delivery_id = 'd-older' AND outcome = 'stale'"
                .to_owned(),
        )
        .await;
        if done == 1 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let l = link(&app, &id).await;
    assert_eq!(
        l["wise_user_state"], "withdraw_only",
        "the older event changed nothing"
    );
    assert_eq!(stored(&app).await, 2);
    let changes = app
        .event_names(&id)
        .await
        .into_iter()
        .filter(|e| ["wise_user_withdraw_only", "wise_user_reactivated"].contains(&e.as_str()))
        .count();
    assert_eq!(changes, 1, "one change, whatever arrived twice or late");
}

#[tokio::test]
async fn test_notifications_and_other_event_types_are_acknowledged_only_and_a_signed_wrong_body_is_a_400()
 {
    let app = app().await;
    let test = json!({"data": {}, "event_type": "users#state-change", "schema_version": "2.0.0"});
    let raw = test.to_string();
    let r = app
        .client
        .post(app.url("/wise/webhooks"))
        .header("content-type", "application/json")
        .header("x-delivery-id", "t-1")
        .header("x-test-notification", "true")
        .header(
            "x-signature-sha256",
            wiselink_simulator::sign_webhook(raw.as_bytes()),
        )
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json(r).await["status"], "test");

    let transfer = json!({"data": {"resource": {"id": 1, "type": "transfer"}}, "event_type": "transfers#state-change", "schema_version": "2.0.0"});
    let r = deliver(&app, "t-2", &transfer, None).await;
    assert_eq!(json(r).await["status"], "ignored");

    let odd = user_event(7, "FROZEN", "2026-12-06T10:00:00Z");
    let refused = problem(deliver(&app, "t-3", &odd, None).await).await;
    assert_eq!(refused["status"], 400);
    assert_eq!(refused["code"], "wise_event_malformed");
    assert_eq!(stored(&app).await, 0);
}

#[tokio::test]
async fn a_deactivation_landing_while_a_refresh_is_in_flight_leaves_no_tokens_behind() {
    let app = app().await;
    subscribe(&app).await;
    let (id, user, _) = active_link(&app, "wr-1").await;
    // Wise refreshes at once, but its answer takes 1.5 s to come back.
    app.sim()
        .fault(json!({"endpoint": "/oauth/token", "answer_latency_ms": 1500}))
        .await;
    app.advance(chrono::Duration::hours(13));
    let (answer, _) = tokio::join!(app.access_token(&id), async {
        tokio::time::sleep(StdDuration::from_millis(400)).await;
        app.sim().user_action(user, "deactivate", None).await;
        until(&app, &id, |l| l["state"] == "unlinked").await;
    });
    assert_ne!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    let tokens = count(
        &app,
        format!(
            "SELECT COUNT(*) AS n FROM link_tokens WHERE link_id = '{id}' \
             AND access_token IS NULL AND refresh_token IS NULL"
        ),
    )
    .await;
    assert_eq!(
        tokens, 1,
        "the refresh's late answer did not bring tokens back"
    );
    assert_eq!(link(&app, &id).await["state"], "unlinked");
    assert_eq!(
        problem(app.access_token(&id).await).await["code"],
        "wise_user_deactivated"
    );
}
