//! The simulator's own rules, checked with plain HTTP (no wiselink client in between).

mod oauth;
mod pages;
mod rate_limits;
mod signup_and_control;

use reqwest::StatusCode;
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:8080/oauth/callback";

fn client() -> (&'static str, Option<&'static str>) {
    ("wiselink-dev", Some("wiselink-dev-secret"))
}

async fn token_call(sim: &crate::helpers::TestSim, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let (id, secret) = client();
    let r = sim
        .http
        .post(sim.url("/oauth/token"))
        .basic_auth(id, secret)
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}
