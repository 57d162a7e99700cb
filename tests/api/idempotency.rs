use crate::helpers::{create_api_key, customer_body, json, key_id, problem, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use wiselink::db::idempotency;

#[tokio::test]
async fn same_key_and_body_replays_the_first_response() {
    let app = spawn_app().await;
    let send = || {
        app.authed(Method::PUT, "/v1/customers/idem-1")
            .header("Idempotency-Key", "key-1")
            .json(&customer_body())
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_body = json(first).await;

    let second = send().await.unwrap();
    // Without the key a second PUT would answer 200 (replaced); the stored 201 proves a replay.
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.headers()["content-type"], "application/json");
    assert_eq!(json(second).await, first_body);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM idempotency_keys")
            .await,
        1
    );
}

#[tokio::test]
async fn same_key_with_another_body_is_422() {
    let app = spawn_app().await;
    let put = |body: serde_json::Value| {
        app.authed(Method::PUT, "/v1/customers/idem-2")
            .header("Idempotency-Key", "key-2")
            .json(&body)
            .send()
    };
    assert_eq!(
        put(customer_body()).await.unwrap().status(),
        StatusCode::CREATED
    );
    let mut other = customer_body();
    other["first_name"] = json!("Augusta");
    let response = put(other).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(response).await["code"], "idempotency_key_reused");
    let stored = json(app.get_customer("idem-2").await).await;
    assert_eq!(
        stored["first_name"], "Ada",
        "the refused request changed nothing"
    );
}

#[tokio::test]
async fn a_key_still_in_flight_is_409_until_it_is_abandoned() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&customer_body()).unwrap();
    let fingerprint = wiselink::http::idempotency::fingerprint(
        &Method::PUT.as_str().parse().unwrap(),
        "/v1/customers/idem-3",
        &body,
    );
    let scope = format!("key:{}", key_id(&app.api_key));
    // Another instance claimed this key a moment ago and is still working on it.
    let db = app.db.clone();
    let (k, f) = (scope.clone(), fingerprint.clone());
    tokio::task::spawn_blocking(move || {
        idempotency::claim(
            &mut db.get().unwrap(),
            &k,
            "key-3",
            &f,
            None,
            wiselink::clock::Clock::system().now(),
        )
        .unwrap()
    })
    .await
    .unwrap();
    let send = || {
        app.authed(Method::PUT, "/v1/customers/idem-3")
            .header("Idempotency-Key", "key-3")
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
    };
    let response = send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        problem(response).await["code"],
        "idempotency_request_in_progress"
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers").await, 0);

    // That instance died: once the in-flight timeout passes, a retry runs the request.
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use wiselink::db::schema::idempotency_keys as ik;
        let old = wiselink::clock::Clock::system().now() - chrono::Duration::minutes(5);
        diesel::update(ik::table)
            .set(ik::updated_at.eq(old))
            .execute(&mut **db.get().unwrap())
            .unwrap();
    })
    .await
    .unwrap();
    assert_eq!(send().await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(
        send().await.unwrap().headers()["idempotent-replayed"],
        "true"
    );
}

#[tokio::test]
async fn concurrent_requests_with_one_key_run_once() {
    let app = spawn_app().await;
    let requests = (0..10).map(|_| {
        app.authed(Method::PUT, "/v1/customers/idem-4")
            .header("Idempotency-Key", "key-4")
            .json(&customer_body())
            .send()
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut fresh = 0;
    for response in responses {
        let response = response.unwrap();
        match response.status() {
            StatusCode::CREATED if response.headers().get("idempotent-replayed").is_none() => {
                fresh += 1
            }
            StatusCode::CREATED => {}
            StatusCode::CONFLICT => assert_eq!(
                problem(response).await["code"],
                "idempotency_request_in_progress"
            ),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(fresh, 1, "exactly one request ran");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers").await, 1);
}

#[tokio::test]
async fn keys_are_scoped_to_the_api_key() {
    let app = spawn_app().await;
    let other = create_api_key(&app.db, "other").await;
    let first = app
        .authed(Method::PUT, "/v1/customers/idem-5")
        .header("Idempotency-Key", "shared")
        .json(&customer_body())
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let mut body = customer_body();
    body["first_name"] = json!("Augusta");
    let second = app
        .client
        .put(app.url("/v1/customers/idem-5"))
        .bearer_auth(other)
        .header("Idempotency-Key", "shared")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        second.status(),
        StatusCode::OK,
        "another API key's request is not a replay"
    );
}

#[tokio::test]
async fn malformed_idempotency_keys_are_400() {
    let app = spawn_app().await;
    for key in ["", &"k".repeat(256), "with space"] {
        let response = app
            .authed(Method::PUT, "/v1/customers/idem-6")
            .header("Idempotency-Key", key)
            .json(&customer_body())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{key:?}");
        assert_eq!(problem(response).await["code"], "invalid_idempotency_key");
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers").await, 0);
}

#[tokio::test]
async fn validation_errors_are_replayed_too() {
    let app = spawn_app().await;
    let send = || {
        app.authed(Method::PUT, "/v1/customers/idem-7")
            .header("Idempotency-Key", "key-7")
            .json(&json!({"email": "nope"}))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let second = send().await.unwrap();
    assert_eq!(second.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(problem(second).await["code"], "validation_failed");
}
