use crate::helpers::{TestApp, create_api_key, key_id, problem, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use wiselink::services::api_keys;

#[tokio::test]
async fn missing_key_is_401_with_a_challenge() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/v1/customers/c"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(problem(response).await["code"], "missing_credentials");
}

#[tokio::test]
async fn wrong_malformed_or_foreign_keys_are_401() {
    let app = spawn_app().await;
    let wrong_secret = format!("wl_{}_{}", key_id(&app.api_key), "A".repeat(43));
    let headers = [
        format!("Bearer {wrong_secret}"),
        "Bearer wl_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        "Bearer not-a-key".to_owned(),
        format!("Basic {}", app.api_key),
        "Bearer".to_owned(),
    ];
    for header in headers {
        let response = app
            .client
            .get(app.url("/v1/customers/c"))
            .header("authorization", &header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{header}");
        assert_eq!(problem(response).await["code"], "invalid_credentials");
    }
}

/// Revokes the API key `token` names, as `wiselink api-key revoke` does; whether it was live.
async fn revoke(app: &TestApp, token: &str) -> bool {
    let id = key_id(token).to_owned();
    let db = app.db.clone();
    let now = wiselink::clock::Clock::system().now();
    tokio::task::spawn_blocking(move || api_keys::revoke(&mut db.get().unwrap(), &id, now).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_revoked_key_stops_working_and_others_keep_working() {
    let app = spawn_app().await;
    let other = create_api_key(&app.db, "second").await;
    assert!(revoke(&app, &app.api_key).await);

    let response = app.get_customer("c").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem(response).await["code"], "invalid_credentials");

    let response = app.get_customer_as(&other, "c").await;
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "the second key still authenticates"
    );
}

#[tokio::test]
async fn a_revoked_key_that_was_in_use_stops_working_within_the_cache_time() {
    let app = spawn_app_with(&[("WISELINK__AUTH__KEY_CACHE_SECS", "1")]).await;
    assert_eq!(
        app.get_customer("c").await.status(),
        StatusCode::NOT_FOUND,
        "key verified and cached"
    );
    assert!(revoke(&app, &app.api_key).await);
    assert_eq!(
        app.get_customer("c").await.status(),
        StatusCode::NOT_FOUND,
        "still cached: the cache time has not passed"
    );
    app.advance(chrono::Duration::milliseconds(1100));
    let response = app.get_customer("c").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem(response).await["code"], "invalid_credentials");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_even_while_the_key_is_cached() {
    let app = spawn_app().await;
    assert_eq!(app.get_customer("c").await.status(), StatusCode::NOT_FOUND);
    let wrong = format!("wl_{}_{}", key_id(&app.api_key), "Z".repeat(43));
    let response = app.get_customer_as(&wrong, "c").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
