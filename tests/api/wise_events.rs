//! Wise's account events, end to end: the simulator's subscriptions deliver signed
//! `users#state-change` and `profiles#verification-state-change` webhooks to `POST /wise/webhooks`
//! over HTTP, and what the partner sees changes — the link, the access-token answer, the feed.

mod arrival;

use crate::helpers::{TestApp, awaiting_code, count_rows, json, problem, spawn_app_with, submit};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration as StdDuration;

/// An app whose Wise-event worker looks every 50 ms.
async fn app() -> TestApp {
    spawn_app_with(&[("WISELINK__WISE_WEBHOOKS__PROCESS_INTERVAL_MS", "50")]).await
}

/// Subscribes the app to the simulator's account events, as `wiselink wise subscribe` does.
pub(crate) async fn subscribe(app: &TestApp) {
    let lines = wiselink::commands::wise::subscribe(&app.sim().wise, &app.url("/wise/webhooks"))
        .await
        .expect("subscribed");
    assert_eq!(lines.len(), 2, "{lines:?}");
}

/// An active link for `customer_ref`; returns its id, Wise user id and profile id.
async fn active_link(app: &TestApp, customer_ref: &str) -> (String, i64, i64) {
    let email = format!("{customer_ref}@example.com");
    let (id, session, code) = awaiting_code(app, customer_ref, &email, json!({})).await;
    let done = json(submit(app, &id, &session, &code).await).await;
    assert_eq!(done["state"], "active");
    let user = done["wise_user_id"].as_i64().unwrap();
    let profile = done["wise_profile_id"].as_i64().unwrap();
    (id, user, profile)
}

pub(crate) async fn link(app: &TestApp, id: &str) -> Value {
    app.get_json(&format!("/v1/links/{id}")).await
}

/// Waits (up to 10 s) until the link satisfies `done`; returns it.
pub(crate) async fn until(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let l = link(app, id).await;
        if done(&l) {
            return l;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("the link never got there: {}", link(app, id).await);
}

/// The feed's events of one link: `(type, reason)`, once it holds at least `n` (up to 10 s).
async fn feed_of(app: &TestApp, id: &str, n: usize) -> Vec<(String, String)> {
    for _ in 0..200 {
        let events = feed_now(app, id).await;
        if events.len() >= n {
            return events;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!(
        "the feed never held {n} events of {id}: {:?}",
        feed_now(app, id).await
    );
}

/// The partner feed's `(type, reason)` of one link, now.
pub(crate) async fn feed_now(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let feed = app.get_json("/v1/events?limit=200").await;
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["link_id"] == id)
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["data"]["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn count(app: &TestApp, sql: String) -> i64 {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || count_rows(&db, &sql))
        .await
        .unwrap()
}

/// What the simulator has sent so far: each delivery's answers.
async fn sim_answers(app: &TestApp) -> Vec<Vec<u64>> {
    let list: Vec<Value> = app
        .sim()
        .control(reqwest::Method::GET, "/__sim/webhooks/deliveries", None)
        .await
        .json()
        .await
        .unwrap();
    list.iter()
        .map(|d| {
            d["answers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_u64().unwrap())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_deactivated_user_s_link_ends_its_tokens_are_deleted_and_access_token_says_why() {
    let app = app().await;
    subscribe(&app).await;
    let (id, user, _) = active_link(&app, "wd-1").await;
    assert_eq!(app.access_token(&id).await.status(), StatusCode::OK);

    app.sim()
        .user_action(
            user,
            "deactivate",
            Some(json!({"deactivation_type": "ACCOUNT_SUSPENSION"})),
        )
        .await;
    let l = until(&app, &id, |l| l["state"] == "unlinked").await;
    assert_eq!(l["wise_user_state"], "deactivated");
    assert_eq!(l["wise_user_deactivates_on"], Value::Null);

    let refused = problem(app.access_token(&id).await).await;
    assert_eq!(refused["status"], 409);
    assert_eq!(refused["code"], "wise_user_deactivated");
    let tokens = count(
        &app,
        format!(
            "SELECT COUNT(*) AS n FROM link_tokens WHERE link_id = '{id}' \
             AND access_token IS NULL AND refresh_token IS NULL"
        ),
    )
    .await;
    assert_eq!(tokens, 1, "the tokens are deleted");
    assert_eq!(
        feed_of(&app, &id, 4).await[2..],
        [
            (
                "link.unlinked".to_owned(),
                "wise_user_deactivated".to_owned()
            ),
            (
                "link.wise_user_changed".to_owned(),
                "wise_user_deactivated".to_owned()
            ),
        ]
    );
    assert_eq!(sim_answers(&app).await, [vec![200]]);
    let events = app.event_names(&id).await;
    assert_eq!(events.last().unwrap(), "wise_user_deactivated");

    // Linking again starts afresh: what Wise said of the closed account stays behind.
    let again = app
        .authed(reqwest::Method::POST, &format!("/v1/links/{id}/relink"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(again.status().is_success(), "{}", again.status());
    let l = link(&app, &id).await;
    assert_ne!(l["state"], "unlinked");
    assert_eq!(l["wise_user_state"], Value::Null);
    assert_ne!(l["reason"], "wise_user_deactivated");
}

#[tokio::test]
async fn withdraw_only_flags_the_link_with_wise_s_deadline_and_active_again_clears_it() {
    let app = app().await;
    subscribe(&app).await;
    let (id, user, _) = active_link(&app, "ww-1").await;

    app.sim().user_action(user, "withdraw-only", None).await;
    let l = until(&app, &id, |l| l["wise_user_state"] == "withdraw_only").await;
    assert_eq!(
        l["state"], "active",
        "the customer can still move money out"
    );
    let deadline = (Utc::now() + Duration::days(90)).date_naive().to_string();
    assert_eq!(l["wise_user_deactivates_on"], deadline.as_str());
    assert_eq!(app.access_token(&id).await.status(), StatusCode::OK);

    app.sim().advance(5).await;
    app.sim().user_action(user, "reactivate", None).await;
    let l = until(&app, &id, |l| l["wise_user_state"] == "active").await;
    assert_eq!(l["wise_user_deactivates_on"], Value::Null);
    let wise_events: Vec<String> = feed_of(&app, &id, 4)
        .await
        .into_iter()
        .filter(|(t, _)| t == "link.wise_user_changed")
        .map(|(_, reason)| reason)
        .collect();
    assert_eq!(
        wise_events,
        ["wise_user_withdraw_only", "wise_user_reactivated"]
    );
}

#[tokio::test]
async fn a_profile_s_verification_is_recorded_on_its_link_and_announced() {
    let app = app().await;
    subscribe(&app).await;
    let (id, _, profile) = active_link(&app, "wv-1").await;
    assert_eq!(link(&app, &id).await["profile_verification"], Value::Null);

    let r = app
        .sim()
        .control(
            reqwest::Method::POST,
            &format!("/__sim/profiles/{profile}/verification"),
            Some(json!({"state": "not_verified"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    until(&app, &id, |l| l["profile_verification"] == "not_verified").await;
    assert!(feed_of(&app, &id, 3).await.contains(&(
        "link.profile_verification_changed".to_owned(),
        "profile_unverified".to_owned()
    )));
}

#[tokio::test]
async fn wise_subscribe_from_the_cli_is_idempotent_and_subscriptions_can_be_listed_and_deleted() {
    let sim = crate::helpers::spawn_sim().await;
    let cli = |args: &'static [&'static str]| {
        let api_url = sim.url.clone();
        tokio::task::spawn_blocking(move || {
            let out = crate::helpers::run_cli(
                args,
                &[
                    ("WISELINK__WISE__API_URL", api_url.as_str()),
                    ("WISELINK__SERVER__PUBLIC_URL", "http://127.0.0.1:9"),
                ],
                None,
            );
            assert!(out.status.success(), "{out:?}");
            String::from_utf8(out.stdout).unwrap()
        })
    };
    let first = cli(&["wise", "subscribe"]).await.unwrap();
    assert_eq!(first.matches("subscribed ").count(), 2, "{first}");
    assert!(first.contains("users#state-change → http://127.0.0.1:9/wise/webhooks"));
    let second = cli(&["wise", "subscribe"]).await.unwrap();
    assert_eq!(second.matches("kept ").count(), 2, "{second}");

    let listed = cli(&["wise", "subscriptions"]).await.unwrap();
    let ids: Vec<String> = listed
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2, "{listed}");
    let id: &'static str = Box::leak(ids[0].clone().into_boxed_str());
    let args: &'static [&'static str] = Box::leak(Box::new(["wise", "unsubscribe", id]));
    assert!(cli(args).await.unwrap().starts_with("deleted "));
    let listed = cli(&["wise", "subscriptions"]).await.unwrap();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(!listed.contains(id));
}
