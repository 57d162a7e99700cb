//! The HSM's custody watched while serving (SoftHSM2, its token directory moved away and back
//! under a running `serve`): nothing decrypts while the HSM cannot open the keys — the API and the
//! pages answer 503, `/readyz` is red with the reason — and service resumes without a restart.

use super::{PIN, Token};
use crate::helpers::{
    TestDatabase, cli_api_key, free_port, serve_command, spawn_sim, start_link_at,
    stop_with_sigterm, wait_until_serving,
};
use crate::mail_sink::MailSink;
use reqwest::{Client, StatusCode};
use serde_json::json;
use std::time::Duration;

/// Polls `/readyz` until it answers `status` (at most 15 s); its body.
async fn readiness(client: &Client, base: &str, status: StatusCode) -> String {
    for _ in 0..150 {
        let answer = client.get(format!("{base}/readyz")).send().await.unwrap();
        if answer.status() == status {
            return answer.text().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/readyz never answered {status}");
}

#[tokio::test]
async fn losing_the_hsm_while_serving_stops_every_decryption_until_it_is_back() {
    let token = Token::new();
    let database = TestDatabase::create();
    let db_url = database.url().to_owned();
    let (entry, _) = token.generate(&db_url);
    let mut env = token.env(&db_url, &entry, "wiselink-kek");
    env.push(("WISELINK__CRYPTO__HSM__CHECK_EVERY_SECS".into(), "1".into()));
    let (sim, sink) = (spawn_sim().await, MailSink::start());
    let api_key = cli_api_key(&db_url, "custody");
    let port = free_port();
    let mut serve = serve_command(&db_url, port, &sim, &sink);
    serve.envs(env.iter().map(|(k, v)| (k, v)));
    let mut child = serve.spawn().expect("serve starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::new();
    wait_until_serving(&client, &base).await;
    readiness(&client, &base, StatusCode::OK).await;
    sim.seed("custody@example.com", json!({})).await;
    let link = start_link_at(&client, &base, &api_key, "custody").await;
    assert_eq!(link["state"], "awaiting_code");
    let id = link["id"].as_str().unwrap();
    let session = link["link_session_token"].as_str().unwrap();
    let code = sim.latest_code("custody@example.com").await;

    // The token goes away under the running service.
    let away = token.store.with_extension("away");
    std::fs::rename(&token.store, &away).unwrap();
    let red = readiness(&client, &base, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(red.contains("The HSM does not open crypto.keys"), "{red}");
    assert!(!red.contains(PIN));
    let submit = |token: &str| {
        client
            .post(format!("{base}/v1/links/{id}/code"))
            .bearer_auth(token.to_owned())
            .json(&json!({ "code": code }))
    };
    let refused = submit(session).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "10");
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "keys_unavailable");
    let read = client
        .get(format!("{base}/v1/links/{id}"))
        .bearer_auth(&api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = client
        .get(format!("{base}/staff/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Please try again in a moment")
    );
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK, "alive, only not ready");
    let metrics = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("wiselink_hsm_custody_held 0")
    );

    // Back: the same process serves again, and opens what it sealed before.
    std::fs::rename(&away, &token.store).unwrap();
    readiness(&client, &base, StatusCode::OK).await;
    let answer = submit(session).send().await.unwrap();
    assert_eq!(
        answer.status(),
        StatusCode::OK,
        "the code exchanged after recovery"
    );
    let linked: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(linked["state"], "active");
    stop_with_sigterm(&mut child).await;
    assert!(child.try_wait().unwrap().is_some());
}
