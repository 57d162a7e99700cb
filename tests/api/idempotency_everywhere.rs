//! One `Idempotency-Key` rule for every mutating route: the key is checked, a repeat replays the
//! stored answer (with `Cache-Control: no-store`), and a stored answer holds no secret in
//! plaintext.

use crate::helpers::{awaiting_code, json, problem, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Every stored response body, as the database holds it.
async fn stored_bodies(app: &crate::helpers::TestApp) -> Vec<Vec<u8>> {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use wiselink::db::schema::idempotency_keys as ik;
        ik::table
            .select(ik::response_body.assume_not_null())
            .filter(ik::response_body.is_not_null())
            .load::<Vec<u8>>(&mut **db.get().unwrap())
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_stored_start_is_sealed_and_its_replay_is_not_cached() {
    let app = spawn_app().await;
    crate::helpers::customer(&app, "c-seal", "sealed@example.com", Some(json!({}))).await;
    let send = || {
        app.authed(Method::POST, "/v1/links")
            .header("Idempotency-Key", "seal-1")
            .json(&json!({"customer_ref": "c-seal"}))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first = json(first).await;
    let token = first["link_session_token"].as_str().unwrap().to_owned();

    let bodies = stored_bodies(&app).await;
    assert_eq!(bodies.len(), 1, "the start's answer is stored");
    for body in &bodies {
        assert!(
            !body.windows(token.len()).any(|w| w == token.as_bytes()),
            "the session token is stored in plaintext"
        );
        assert!(
            serde_json::from_slice::<serde_json::Value>(body).is_err(),
            "no JSON at rest"
        );
    }

    let replay = send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["cache-control"], "no-store");
    assert_eq!(json(replay).await["link_session_token"], token.as_str());
}

#[tokio::test]
async fn unlink_code_and_resend_replay_their_answers() {
    let app = spawn_app().await;
    let (id, session, code) =
        awaiting_code(&app, "c-idem", "idem.all@example.com", json!({})).await;

    // The app's code submission, retried after a lost answer, is not a second exchange.
    let submit = || {
        app.client
            .post(app.url(&format!("/v1/links/{id}/code")))
            .bearer_auth(&session)
            .header("Idempotency-Key", "code-1")
            .json(&json!({"code": code}))
            .send()
    };
    assert_eq!(json(submit().await.unwrap()).await["state"], "active");
    let again = submit().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json(again).await["state"], "active");
    assert_eq!(crate::helpers::code_exchanges(&app).await, 1);

    let unlink = || {
        app.authed(Method::DELETE, &format!("/v1/links/{id}"))
            .header("Idempotency-Key", "unlink-1")
            .send()
    };
    let first = unlink().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let repeat = unlink().await.unwrap();
    assert_eq!(repeat.status(), StatusCode::OK, "a replay, not 409");
    assert_eq!(repeat.headers()["idempotent-replayed"], "true");
    assert_eq!(json(repeat).await["state"], "unlinked");
}

#[tokio::test]
async fn a_key_over_255_characters_is_refused_on_every_mutating_route() {
    let app = spawn_app().await;
    let (id, session, _) = awaiting_code(&app, "c-long", "long.key@example.com", json!({})).await;
    let long = "k".repeat(256);
    let requests = [
        app.authed(Method::PUT, "/v1/customers/c-long")
            .json(&crate::helpers::customer_body()),
        app.authed(Method::POST, "/v1/links")
            .json(&json!({"customer_ref": "c-long"})),
        app.authed(Method::DELETE, &format!("/v1/links/{id}")),
        app.client
            .post(app.url(&format!("/v1/links/{id}/code")))
            .bearer_auth(&session)
            .json(&json!({"code": "ABC123"})),
        app.client
            .post(app.url(&format!("/v1/links/{id}/resend")))
            .bearer_auth(&session),
    ];
    for request in requests {
        let r = request
            .header("Idempotency-Key", &long)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(problem(r).await["code"], "invalid_idempotency_key");
    }
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(
        (link["state"].as_str(), link["attempts_remaining"].as_i64()),
        (Some("awaiting_code"), Some(5)),
        "nothing ran"
    );
}
