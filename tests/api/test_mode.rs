//! Test mode: test keys (`wl_test_…`) pull triggers that make each unhappy path happen now, with
//! production's states, emails and partner events; live keys get 404; a test key never works
//! against anything but the simulator.

mod recipes;
mod start_up;

use crate::helpers::{TestApp, awaiting_code, create_key, json, problem, spawn_app_with, submit};
use crate::tokens::{active_link, refreshes, token_of, works_at_wise};
use crate::wise_events::{feed_now, link, subscribe, until};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use wiselink::services::api_keys::KeyMode;

/// An app whose Wise-event worker looks every 50 ms, subscribed to Wise's account events as
/// `wiselink wise subscribe` does, and a test key for it.
async fn app() -> (TestApp, String) {
    let app = spawn_app_with(&[("WISELINK__WISE_WEBHOOKS__PROCESS_INTERVAL_MS", "50")]).await;
    let key = create_key(&app.db, "partner ci", KeyMode::Test).await;
    (app, key)
}

async fn pull(app: &TestApp, key: &str, id: &str, body: Value) -> Response {
    app.client
        .post(app.url(&format!("/v1/test/links/{id}/triggers")))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Pulls `trigger` (no other field) and expects a refusal; returns the problem.
async fn refusal(app: &TestApp, key: &str, id: &str, trigger: &str) -> Value {
    problem(pull(app, key, id, json!({ "trigger": trigger })).await).await
}

/// Pulls `trigger` and expects `status`; returns the answer.
async fn pulled(app: &TestApp, key: &str, id: &str, body: Value, status: StatusCode) -> Value {
    let r = pull(app, key, id, body).await;
    assert_eq!(r.status(), status);
    json(r).await
}

/// Waits (up to 10 s) until the partner feed holds `(type, reason)` for the link.
async fn announced(app: &TestApp, id: &str, event: (&str, &str)) {
    let wanted = (event.0.to_owned(), event.1.to_owned());
    for _ in 0..200 {
        if feed_now(app, id).await.contains(&wanted) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{event:?} never in {:?}", feed_now(app, id).await);
}

#[tokio::test]
async fn live_keys_get_404_on_every_trigger_and_test_keys_get_field_errors() {
    let (app, test_key) = app().await;
    let id = active_link(&app, "tm-0").await;
    let unknown_path = app
        .client
        .post(app.url("/v1/test/nothing-here"))
        .bearer_auth(&app.api_key)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let unknown_path = problem(unknown_path).await;
    for trigger in [
        "expire_access_token",
        "revoke_grant",
        "deactivate_wise_user",
        "nonsense",
    ] {
        let r = pull(&app, &app.api_key, &id, json!({"trigger": trigger})).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{trigger}");
        assert_eq!(
            problem(r).await,
            unknown_path,
            "a live key cannot tell the path exists"
        );
    }
    let r = app
        .client
        .post(app.url(&format!("/v1/test/links/{id}/triggers")))
        .json(&json!({"trigger": "revoke_grant"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        link(&app, &id).await["state"],
        "active",
        "nothing was pulled"
    );

    let refused = refusal(&app, &test_key, &id, "nonsense").await;
    assert_eq!(refused["status"], 422);
    assert_eq!(refused["errors"][0]["code"], "unknown_trigger");
    let body = json!({"trigger": "revoke_grant", "email": "x@example.com"});
    let refused = problem(pull(&app, &test_key, &id, body).await).await;
    assert_eq!(refused["errors"][0]["code"], "unknown_field", "{refused}");
    let body = json!({"trigger": "swap_date_of_birth", "date_of_birth": "1990-02-30"});
    let refused = problem(pull(&app, &test_key, &id, body).await).await;
    assert_eq!(refused["errors"][0]["field"], "date_of_birth");
    let other = pull(
        &app,
        &test_key,
        "lnk_nothere",
        json!({"trigger": "revoke_grant"}),
    )
    .await;
    assert_eq!(problem(other).await["code"], "link_not_found");

    // A test key works on the rest of the API as a live key does.
    assert_eq!(
        app.get_as(&test_key, &format!("/v1/links/{id}"))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn expire_access_token_ends_it_at_wise_and_the_next_hand_out_renews_it() {
    let (app, key) = app().await;
    let id = active_link(&app, "tm-1").await;
    let before = token_of(&app, &id).await;
    assert!(works_at_wise(&app, &before).await);
    let done = pulled(
        &app,
        &key,
        &id,
        json!({"trigger": "expire_access_token"}),
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["trigger"], "expire_access_token");
    assert_eq!(done["link"]["state"], "active");
    assert!(done.get("wise_event").is_none());
    assert!(
        !works_at_wise(&app, &before).await,
        "Wise no longer takes it"
    );

    let after = token_of(&app, &id).await;
    assert_ne!(after, before);
    assert!(works_at_wise(&app, &after).await);
    assert_eq!(
        refreshes(&app).await.len(),
        1,
        "one refresh (the hand-out's or the refresher's) renewed it"
    );
}

#[tokio::test]
async fn revoke_grant_makes_the_link_need_relinking_with_its_email_and_event() {
    let (app, key) = app().await;
    let id = active_link(&app, "tm-2").await;
    let done = pulled(
        &app,
        &key,
        &id,
        json!({"trigger": "revoke_grant"}),
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["link"]["state"], "relink_required");
    assert_eq!(done["link"]["reason"], "access_revoked");
    assert_eq!(
        problem(app.access_token(&id).await).await["code"],
        "relink_required"
    );
    let mails = app.mail.wait_for("tm-2@example.com", 3).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert!(
        subjects.contains(&"Reconnect your Wise account"),
        "{subjects:?}"
    );
    announced(&app, &id, ("link.relink_required", "access_revoked")).await;
    // Pulled again, the link is no longer active: nothing to revoke.
    let again = refusal(&app, &key, &id, "revoke_grant").await;
    assert_eq!(again["code"], "relink_required");
}

#[tokio::test]
async fn change_wise_email_ends_every_grant_so_the_link_needs_relinking() {
    let (app, key) = app().await;
    let id = active_link(&app, "tm-3").await;
    let user = link(&app, &id).await["wise_user_id"].as_i64().unwrap();
    let body = json!({"trigger": "change_wise_email", "email": "tm-3.new@example.com"});
    let done = pulled(&app, &key, &id, body, StatusCode::OK).await;
    assert_eq!(done["link"]["state"], "relink_required");
    let found = app
        .sim()
        .control(
            reqwest::Method::GET,
            "/__sim/users?email=tm-3.new@example.com",
            None,
        )
        .await;
    assert_eq!(
        json(found).await["user_id"],
        user,
        "Wise holds the new email"
    );
    // The relay may send the "linked" email and this one in either order.
    let mails = app.mail.wait_for("tm-3@example.com", 3).await;
    assert!(
        mails
            .iter()
            .any(|m| m.subject == "Reconnect your Wise account"),
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn swap_date_of_birth_sends_the_next_code_exchange_to_review() {
    let (app, key) = app().await;
    let email = "tm-4@example.com";
    let (id, session, code) =
        awaiting_code(&app, "tm-4", email, json!({"date_of_birth": "1990-04-12"})).await;
    let body = json!({"trigger": "swap_date_of_birth", "date_of_birth": "1985-07-01"});
    let done = pulled(&app, &key, &id, body, StatusCode::OK).await;
    assert_eq!(done["link"]["state"], "awaiting_code");
    let after = json(submit(&app, &id, &session, &code).await).await;
    assert_eq!(after["state"], "needs_review");
    assert_eq!(after["review_reason"], "dob_mismatch");
    announced(&app, &id, ("link.needs_review", "identity_doubtful")).await;
}

#[tokio::test]
async fn wise_account_events_arrive_as_production_s_do_once_wiselink_is_subscribed() {
    let (app, key) = app().await;
    let id = active_link(&app, "tm-5").await;
    let refused = refusal(&app, &key, &id, "withdraw_only_wise_user").await;
    assert_eq!(refused["code"], "wise_events_not_subscribed", "{refused}");
    assert_eq!(
        link(&app, &id).await["wise_user_state"],
        Value::Null,
        "nothing changed at Wise"
    );

    subscribe(&app).await;
    let sent = pulled(
        &app,
        &key,
        &id,
        json!({"trigger": "withdraw_only_wise_user"}),
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(sent["wise_event"], "users#state-change");
    until(&app, &id, |l| l["wise_user_state"] == "withdraw_only").await;
    let again = refusal(&app, &key, &id, "withdraw_only_wise_user").await;
    assert_eq!(
        again["code"], "simulator_refused",
        "Wise says it already is"
    );

    pulled(
        &app,
        &key,
        &id,
        json!({"trigger": "unverify_profile"}),
        StatusCode::ACCEPTED,
    )
    .await;
    until(&app, &id, |l| l["profile_verification"] == "not_verified").await;

    let body =
        json!({"trigger": "deactivate_wise_user", "deactivation_type": "ACCOUNT_SUSPENSION"});
    pulled(&app, &key, &id, body, StatusCode::ACCEPTED).await;
    let l = until(&app, &id, |l| l["state"] == "unlinked").await;
    assert_eq!(l["wise_user_state"], "deactivated");
    assert_eq!(
        problem(app.access_token(&id).await).await["code"],
        "wise_user_deactivated"
    );
    for expected in [
        ("link.wise_user_changed", "wise_user_withdraw_only"),
        ("link.profile_verification_changed", "profile_unverified"),
        ("link.unlinked", "wise_user_deactivated"),
    ] {
        announced(&app, &id, expected).await;
    }
}
