//! The token endpoint, bearer checks, and how long codes live.

use super::{REDIRECT, client, token_call};
use crate::helpers::{registration_code, spawn_sim};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

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
