//! Keeping links alive: the refresh lease shared by the refresher and the access-token call, one
//! refresh per link however many callers and instances, what Wise's answers (and lost answers)
//! to a refresh mean, and a simulated week of upkeep.

mod crash;
mod failures;
mod hand_out;
mod lost_answers;
mod refresher;
mod relink;
mod single_flight;
mod week;

use crate::helpers::{TestApp, awaiting_code, json, submit};
use serde_json::{Value, json};

/// An active link for an existing Wise user; returns its id.
pub async fn active_link(app: &TestApp, customer_ref: &str) -> String {
    let email = format!("{customer_ref}@example.com");
    let (id, session, code) = awaiting_code(app, customer_ref, &email, json!({})).await;
    let linked = json(submit(app, &id, &session, &code).await).await;
    assert_eq!(linked["state"], "active", "{linked}");
    id
}

/// How many refresh-token grants reached Wise, and with which refresh tokens.
pub async fn refreshes(app: &TestApp) -> Vec<Value> {
    app.sim()
        .calls()
        .await
        .into_iter()
        .filter(|c| c["path"] == "/oauth/token" && c["body"]["grant_type"] == "refresh_token")
        .collect()
}

/// Whether Wise takes `token` (`GET /v1/me`).
pub async fn works_at_wise(app: &TestApp, token: &str) -> bool {
    let r = app
        .sim()
        .http
        .get(app.sim().url("/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    r.status() == reqwest::StatusCode::OK
}

/// The access token the partner gets now; panics unless the call succeeds.
pub async fn token_of(app: &TestApp, id: &str) -> String {
    let r = app.access_token(id).await;
    assert_eq!(r.status(), reqwest::StatusCode::OK, "access-token for {id}");
    json(r).await["access_token"].as_str().unwrap().to_owned()
}

/// Calls to Wise made with a token Wise no longer took (401), other than token grants.
pub async fn dead_token_calls(app: &TestApp) -> usize {
    app.sim()
        .calls()
        .await
        .iter()
        .filter(|c| c["path"] != "/oauth/token" && c["status"] == 401)
        .count()
}

/// The refresher's settings for a pass run by the test.
pub fn pass() -> wiselink::workers::refresher::Refresher {
    wiselink::workers::refresher::Refresher {
        every: std::time::Duration::from_secs(30),
        batch: 200,
        concurrency: 32,
    }
}
