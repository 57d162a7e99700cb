//! The simulator's own rules, checked with plain HTTP (no wiselink client in between).

use crate::helpers::{registration_code, spawn_sim};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

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

#[tokio::test]
async fn token_endpoint_errors() {
    let sim = spawn_sim().await;
    assert_eq!(
        token_call(&sim, &[]).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_request", "error_description": "Missing grant type"})
        )
    );
    assert_eq!(
        token_call(&sim, &[("grant_type", "password")]).await.1["error"],
        "unsupported_grant_type"
    );
    assert_eq!(
        token_call(
            &sim,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "wiselink-dev")
            ]
        )
        .await
        .1["error"],
        "invalid_request"
    );
    let bad = sim
        .http
        .post(sim.url("/oauth/token"))
        .basic_auth("wiselink-dev", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let (id, secret) = client();
    let json_body = sim
        .http
        .post(sim.url("/oauth/token"))
        .basic_auth(id, secret)
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_body.status(),
        StatusCode::BAD_REQUEST,
        "the token endpoint takes forms only"
    );
    let (status, body) = token_call(&sim, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.get("refresh_token").is_none()
            && body["expires_in"] == 43199
            && body["token_type"] == "bearer"
    );
}

#[tokio::test]
async fn unknown_bearer_tokens_get_invalid_token_and_headers_are_wise_like() {
    let sim = spawn_sim().await;
    let r = sim
        .http
        .get(sim.url("/v1/me"))
        .bearer_auth("not-a-token")
        .header(
            "X-External-Correlation-Id",
            "3f2b2b1e-9c1d-4c55-8a53-0f1c2a9e7b11",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()["x-external-correlation-id"],
        "3f2b2b1e-9c1d-4c55-8a53-0f1c2a9e7b11"
    );
    assert_eq!(r.headers()["x-trace-id"].len(), 32);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "invalid_token", "error_description": "not-a-token"})
    );
    let long = "x".repeat(37);
    let r = sim
        .http
        .get(sim.url("/v1/me"))
        .header("X-External-Correlation-Id", &long)
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().get("x-external-correlation-id").is_none(),
        "over 36 characters is ignored"
    );
}

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
async fn authorization_codes_expire_after_30_minutes_and_claim_codes_after_5() {
    let sim = spawn_sim().await;
    sim.seed("old@example.com", json!({})).await;
    let code = sim
        .emailed_code("old@example.com")
        .await
        .expose_secret()
        .to_owned();
    sim.advance(29 * 60).await;
    let fresh = sim
        .emailed_code("old@example.com")
        .await
        .expose_secret()
        .to_owned();
    sim.advance(2 * 60).await;
    let exchange = |code: String| {
        let form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", "wiselink-dev".to_owned()),
            ("code", code),
            ("redirect_uri", REDIRECT.to_owned()),
        ];
        sim.http
            .post(sim.url("/oauth/token"))
            .basic_auth("wiselink-dev", Some("wiselink-dev-secret"))
            .form(&form)
            .send()
    };
    let expired = exchange(code).await.unwrap();
    assert_eq!(expired.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        expired.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let wrong_redirect = {
        let form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", "wiselink-dev"),
            ("code", fresh.as_str()),
            ("redirect_uri", "http://127.0.0.1:8080/other"),
        ];
        sim.http
            .post(sim.url("/oauth/token"))
            .basic_auth("wiselink-dev", Some("wiselink-dev-secret"))
            .form(&form)
            .send()
            .await
            .unwrap()
    };
    assert_eq!(
        wrong_redirect.status(),
        StatusCode::BAD_REQUEST,
        "redirect_uri must match exactly"
    );
    assert_eq!(
        exchange(fresh).await.unwrap().status(),
        StatusCode::OK,
        "29 + 2 minutes old is fine for the second"
    );

    let rc = registration_code();
    sim.wise
        .create_user("claim@example.com", &rc, "EN", false)
        .await
        .unwrap();
    let tokens = sim
        .wise
        .registration_code_grant("claim@example.com", &rc)
        .await
        .unwrap();
    let claim = sim
        .wise
        .claim_account_code(&tokens.access_token, &rc)
        .await
        .unwrap();
    sim.advance(5 * 60 + 1).await;
    let url = sim
        .wise
        .authorize_url(&SecretString::from("s".to_owned()), Some(&claim))
        .unwrap();
    let page = sim.http.get(url.as_str()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn authorize_page_logs_in_denies_and_refuses_foreign_redirects() {
    let sim = spawn_sim().await;
    let user = sim.seed("page@example.com", json!({})).await;
    let url = sim
        .wise
        .authorize_url(&SecretString::from("abc".to_owned()), None)
        .unwrap();
    let page = sim.http.get(url.as_str()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Log in to connect your Wise account")
    );

    let post = |extra: Vec<(&'static str, &'static str)>| {
        let mut form = vec![
            ("client_id", "wiselink-dev"),
            ("redirect_uri", REDIRECT),
            ("state", "abc"),
        ];
        form.extend(extra);
        sim.http
            .post(sim.url("/oauth/authorize/"))
            .form(&form)
            .send()
    };
    let wrong = post(vec![
        ("email", "nobody@example.com"),
        ("password", "x"),
        ("decision", "allow"),
    ])
    .await
    .unwrap();
    assert_eq!(wrong.status(), StatusCode::OK);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Wrong email or password.")
    );

    let denied = post(vec![("decision", "deny")]).await.unwrap();
    let location = denied.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(REDIRECT)
            && location.contains("error=access_denied")
            && location.contains("state=abc"),
        "{location}"
    );

    let allowed = post(vec![
        ("email", "page@example.com"),
        ("password", "pw"),
        ("decision", "allow"),
    ])
    .await
    .unwrap();
    assert_eq!(allowed.status(), StatusCode::FOUND);
    let location = url::Url::parse(allowed.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(
        (q["state"].as_str(), q["profileId"].clone()),
        ("abc", user.profile_id.unwrap().to_string())
    );
    assert_eq!(q["code"].len(), 6);

    let foreign = sim
        .http
        .get(sim.url(
            "/oauth/authorize/?client_id=wiselink-dev&redirect_uri=https://evil.example/cb&state=x",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::BAD_REQUEST);
    assert!(foreign.headers().get("location").is_none());
}

#[tokio::test]
async fn email_link_page_shows_the_code_after_login() {
    let sim = spawn_sim().await;
    sim.seed("mail@example.com", json!({})).await;
    sim.wise
        .create_user("mail@example.com", &registration_code(), "EN", true)
        .await
        .unwrap();
    let mail = &sim.mailbox("mail@example.com").await[0];
    let code = mail["authorization_code"].as_str().unwrap();
    let link = mail["text"]
        .as_str()
        .unwrap()
        .lines()
        .find(|l| l.contains("/oauth/authorize/email/"))
        .unwrap()
        .trim()
        .to_owned();
    let path = &link[link.find("/oauth/").unwrap()..];
    assert_eq!(
        sim.http.get(sim.url(path)).send().await.unwrap().status(),
        StatusCode::OK
    );
    let shown = sim
        .http
        .post(sim.url(path))
        .form(&[
            ("email", "mail@example.com"),
            ("password", "pw"),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    let html = shown.text().await.unwrap();
    assert!(html.contains(&format!(">{code}<")), "{html}");
    let other = sim
        .http
        .post(sim.url(path))
        .form(&[
            ("email", "someone@example.com"),
            ("password", "pw"),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        !other.text().await.unwrap().contains(code),
        "only the addressee sees the code"
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
