//! The recovery worker resolves links left mid-way by a crash or a Wise outage.

use crate::helpers::code_exchanges;
use crate::helpers::{TestApp, customer_body, json, spawn_app_with, spawn_recovering_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};

/// Makes the link look untouched for an hour, with `state` if given (as a crash would leave it).
async fn age(app: &TestApp, id: &str, state: Option<&'static str>) {
    let (db, id) = (app.db.clone(), id.to_owned());
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use wiselink::db::schema::links;
        let old = wiselink::clock::Clock::system().now() - chrono::Duration::hours(1);
        let mut conn = db.get().unwrap();
        if let Some(state) = state {
            diesel::update(links::table.filter(links::id.eq(&id)))
                .set(links::state.eq(state))
                .execute(&mut **conn)
                .unwrap();
        }
        diesel::update(links::table.filter(links::id.eq(&id)))
            .set(links::updated_at.eq(old))
            .execute(&mut **conn)
            .unwrap();
    })
    .await
    .unwrap();
}

async fn wait_for_state(app: &TestApp, id: &str, expected: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let link = app.get_json(&format!("/v1/links/{id}")).await;
        if link["state"] == expected {
            return link;
        }
        assert!(
            Instant::now() < deadline,
            "link stayed {} instead of {expected}",
            link["state"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn start(app: &TestApp, customer_ref: &str, email: &str) -> reqwest::Response {
    let mut body = customer_body();
    body["email"] = json!(email);
    app.put_customer(customer_ref, &body).await;
    app.sim().seed(email, json!({})).await;
    app.authed(Method::POST, "/v1/links")
        .json(&json!({"customer_ref": customer_ref}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_exchange_interrupted_by_a_crash_asks_for_a_new_code_without_replaying() {
    let app = spawn_recovering_app().await;
    let link = json(start(&app, "r-1", "crash@example.com").await).await;
    let id = link["id"].as_str().unwrap();
    // The process died right after committing the recovery point.
    age(&app, id, Some("exchanging")).await;
    wait_for_state(&app, id, "awaiting_code").await;
    let events = app.get_json(&format!("/v1/links/{id}/events")).await;
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["actor"].as_str(), last["from_state"].as_str()),
        (Some("recovery"), Some("exchanging"))
    );
    let exchanges = code_exchanges(&app).await;
    assert_eq!(exchanges, 0, "recovery never sends a code");
}

#[tokio::test]
async fn verification_interrupted_by_a_wise_outage_is_finished_later() {
    let app = spawn_recovering_app().await;
    let link = json(start(&app, "r-2", "verify@example.com").await).await;
    let (id, session) = (
        link["id"].as_str().unwrap(),
        link["link_session_token"].as_str().unwrap(),
    );
    let code = app.sim().latest_code("verify@example.com").await;
    app.sim()
        .fault(json!({"endpoint": "/v1/me", "status": 503, "count": 3}))
        .await;
    let r = app
        .client
        .post(app.url(&format!("/v1/links/{id}/code")))
        .bearer_auth(session)
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let now = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(now["state"], "verifying");
    age(&app, id, None).await;
    wait_for_state(&app, id, "active").await;
}

#[tokio::test]
async fn a_link_whose_signup_hit_a_wise_outage_is_resumed() {
    let app = spawn_recovering_app().await;
    app.sim()
        .fault(json!({"endpoint": "/v1/user/signup/registration_code", "status": 503}))
        .await;
    let r = start(&app, "r-3", "resume@example.com").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let listed = app.get_json("/v1/links?customer_ref=r-3").await;
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(listed["items"][0]["state"], "pending");
    age(&app, &id, None).await;
    let link = wait_for_state(&app, &id, "awaiting_code").await;
    assert_eq!(link["next_action"]["type"], "enter_code");
    assert_eq!(
        app.sim().mailbox("resume@example.com").await.len(),
        1,
        "Wise emailed the code on the resumed signup"
    );
}

/// Wise answering 429 (with Retry-After) is an outage like a 503: the caller hears 503 with a
/// Retry-After, nothing is lost, and the link finishes once Wise lets wiselink in again.
#[tokio::test]
async fn wise_429_during_create_and_verification_is_reported_and_resumed() {
    let app = spawn_recovering_app().await;
    let throttle =
        |endpoint: &str| json!({"endpoint": endpoint, "status": 429, "retry_after": 1, "count": 3});
    app.sim()
        .fault(throttle("/v1/user/signup/registration_code"))
        .await;
    let r = start(&app, "r-4", "throttled@example.com").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(crate::helpers::problem(r).await["code"], "wise_unavailable");
    let listed = app.get_json("/v1/links?customer_ref=r-4").await;
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    age(&app, &id, None).await;
    wait_for_state(&app, &id, "awaiting_code").await;
    // The resumed signup also sent wiselink's email, which carries the code-entry page.
    let finish = app.mail.wait_for("throttled@example.com", 1).await;
    let session = finish[0]
        .text
        .split("/link/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();

    app.sim().fault(throttle("/v2/profiles")).await;
    let code = app.sim().latest_code("throttled@example.com").await;
    let r = app
        .client
        .post(app.url(&format!("/v1/links/{id}/code")))
        .bearer_auth(&session)
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "verifying"
    );
    age(&app, &id, None).await;
    wait_for_state(&app, &id, "active").await;
    let exchanges = code_exchanges(&app).await;
    assert_eq!(exchanges, 1, "the code was exchanged once");
    let mail = app.mail.wait_for("throttled@example.com", 2).await;
    assert_eq!(mail[1].subject, "Your Wise account is linked");
}

/// A slow exchange and a throttled `/v1/me` cannot keep a request on Wise past its budget (here
/// 2 s; by default 40 s, checked at start-up to end 10 s before the recovery lease): the request
/// stores the tokens Wise issued and answers 503, and recovery finishes the check with them.
#[tokio::test]
async fn a_request_never_spends_more_than_its_wise_budget_and_keeps_the_tokens() {
    let app = spawn_app_with(&[
        ("WISELINK__WORKERS__RECOVERY_INTERVAL_MS", "100"),
        ("WISELINK__WORKERS__RECOVERY_STALE_AFTER_SECS", "12"),
        ("WISELINK__LINKS__WISE_BUDGET_SECS", "2"),
        ("WISELINK__WISE__REQUEST_TIMEOUT_MS", "1500"),
    ])
    .await;
    let link = json(start(&app, "r-budget", "budget@example.com").await).await;
    let (id, session) = (
        link["id"].as_str().unwrap(),
        link["link_session_token"].as_str().unwrap(),
    );
    let code = app.sim().latest_code("budget@example.com").await;
    app.sim()
        .fault(json!({"endpoint": "/oauth/token", "latency_ms": 1400}))
        .await;
    app.sim()
        .fault(json!({"endpoint": "/v1/me", "status": 429, "retry_after": 1}))
        .await;

    let began = Instant::now();
    let r = app.submit_code(id, session, &code).await;
    let spent = began.elapsed();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        spent < Duration::from_millis(2500),
        "the request spent {spent:?} on a 2 s budget"
    );
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "verifying",
        "the tokens are stored"
    );

    app.advance(chrono::Duration::seconds(13));
    let link = wait_for_state(&app, id, "active").await;
    assert_eq!(link["origin"], "linked");
    assert_eq!(code_exchanges(&app).await, 1, "the code was exchanged once");
    assert_eq!(app.access_token(id).await.status(), StatusCode::OK);
}

/// The tokens are committed before Wise is asked who the customer is: a crash while `/v1/me` is
/// being read leaves a `verifying` link holding them (which recovery finishes), never an
/// `exchanging` one whose tokens are lost with the process.
#[tokio::test]
async fn tokens_are_stored_before_the_identity_is_read() {
    let app = spawn_recovering_app().await;
    let link = json(start(&app, "r-early", "early@example.com").await).await;
    let (id, session) = (
        link["id"].as_str().unwrap(),
        link["link_session_token"].as_str().unwrap(),
    );
    let code = app.sim().latest_code("early@example.com").await;
    // Wise answers `/v1/me` slowly after it has seen the call: once the simulator has recorded
    // it, wiselink is waiting on Wise's answer.
    app.sim()
        .fault(json!({"endpoint": "/v1/me", "answer_latency_ms": 3000}))
        .await;
    let (done, during) = tokio::join!(app.submit_code(id, session, &code), async {
        for _ in 0..200 {
            let asked = app
                .sim()
                .calls()
                .await
                .iter()
                .any(|c| c["path"] == "/v1/me");
            if asked {
                return app.get_json(&format!("/v1/links/{id}")).await;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("wiselink never asked Wise who the customer is");
    });
    assert_eq!(during["state"], "verifying", "while Wise is read: {during}");
    assert_eq!(json(done).await["state"], "active");
}
