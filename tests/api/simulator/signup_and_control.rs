//! Signup validation in Wise's order, and the control API refusing bad input.

use crate::helpers::{registration_code, spawn_sim};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

#[tokio::test]
async fn signup_validates_in_wise_order() {
    let sim = spawn_sim().await;
    let cc = sim.wise.client_token().await.unwrap();
    let signup = |body: Value| {
        sim.http
            .post(sim.url("/v1/user/signup/registration_code"))
            .bearer_auth(cc.expose_secret())
            .json(&body)
            .send()
    };
    let codes = |v: &Value| {
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{}:{}",
                    e["code"].as_str().unwrap(),
                    e["path"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };

    let r = signup(json!({})).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        codes(&r.json().await.unwrap()),
        ["NotNull:email", "NotNull:registrationCode"]
    );
    let r = signup(json!({"email": "bad", "registrationCode": "short"}))
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "Size is checked before the email format"
    );
    assert_eq!(codes(&r.json().await.unwrap()), ["Size:registrationCode"]);
    let long = registration_code();
    let r = signup(json!({"email": "bad", "registrationCode": long.expose_secret()}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    sim.seed("taken@example.com", json!({})).await;
    let r = signup(json!({"email": "Taken@Example.com", "registrationCode": long.expose_secret()}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "NOT_UNIQUE");
    assert_eq!(
        body["errors"][0]["arguments"][1], "Ta***@Example.com",
        "the email comes back masked"
    );

    let (_, user_token) = sim.linked_user("user.token@example.com").await;
    let r = sim
        .http
        .post(sim.url("/v1/user/signup/registration_code"))
        .bearer_auth(user_token.access_token.expose_secret())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "signup needs a client-credentials token"
    );
}

#[tokio::test]
async fn control_api_refuses_bad_input() {
    let sim = spawn_sim().await;
    let post =
        |path: &'static str, body: Value| sim.control(reqwest::Method::POST, path, Some(body));
    assert_eq!(
        post("/__sim/faults", json!({"endpoint": "oauth/token"}))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post("/__sim/faults", json!({"endpoint": "/x", "status": 200}))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post("/__sim/variants", json!({"reclaimed_status": 418}))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(post("/__sim/users", json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "profiles": ["robot"]})).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        post("/__sim/users/1/explode", json!({})).await.status(),
        StatusCode::NOT_FOUND
    );
    sim.fault(json!({"endpoint": "/v1/me", "status": 500, "count": 2}))
        .await;
    let listed: Value = sim
        .control(reqwest::Method::GET, "/__sim/faults", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["count"], 2);
    assert_eq!(
        sim.control(reqwest::Method::DELETE, "/__sim/faults", None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let listed: Value = sim
        .control(reqwest::Method::GET, "/__sim/faults", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn the_control_api_answers_only_requests_naming_this_machine() {
    let sim = spawn_sim().await;
    sim.seed("rebind@example.com", json!({})).await;
    let port = sim.url.rsplit(':').next().unwrap().to_owned();
    for (host, expected) in [
        (format!("rebind.example:{port}"), StatusCode::NOT_FOUND),
        ("localhost.evil.example".to_owned(), StatusCode::NOT_FOUND),
        (format!("127.0.0.1:{port}"), StatusCode::OK),
        (format!("localhost:{port}"), StatusCode::OK),
    ] {
        for path in ["/__sim/mailbox?to=rebind@example.com", "/__sim/calls"] {
            let r = sim
                .http
                .get(sim.url(path))
                .header("Host", &host)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), expected, "{path} for {host}");
        }
    }
}
