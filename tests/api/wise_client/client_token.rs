//! The client-credentials token: cached, fetched once under concurrency, renewed in time,
//! replaced when Wise rejects it.

use crate::helpers::{registration_code, spawn_sim, spawn_sim_with};
use secrecy::{ExposeSecret, SecretString};
use wiselink::wise::CreateUserOutcome;

#[tokio::test]
async fn client_credentials_token_is_cached_and_fetched_once_under_concurrency() {
    let sim = spawn_sim().await;
    let calls = (0..50).map(|_| sim.wise.client_token());
    let tokens: Vec<SecretString> = futures_util::future::try_join_all(calls).await.unwrap();
    assert!(
        tokens
            .iter()
            .all(|t| t.expose_secret() == tokens[0].expose_secret())
    );
    sim.wise.client_token().await.unwrap();
    assert_eq!(
        sim.calls_to("/oauth/token").await,
        1,
        "one fetch for 51 callers"
    );
}

#[tokio::test]
async fn client_token_is_renewed_within_the_refresh_margin() {
    let sim = spawn_sim_with(&[("WISELINK__WISE__TOKEN_REFRESH_MARGIN_SECS", "43199")]).await;
    // A margin as long as the token's life makes every cached token due for renewal.
    sim.wise.client_token().await.unwrap();
    sim.wise.client_token().await.unwrap();
    assert_eq!(sim.calls_to("/oauth/token").await, 2);
}

#[tokio::test]
async fn a_client_token_wise_rejects_is_replaced_and_the_call_repeated_once() {
    let sim = spawn_sim().await;
    sim.wise.client_token().await.unwrap();
    // Wise's clock passes the token's 12 hours; the client's cache does not know yet.
    sim.advance(13 * 3600).await;
    let created = sim
        .wise
        .create_user("late@example.com", &registration_code(), "EN", false)
        .await
        .unwrap();
    assert!(matches!(created, CreateUserOutcome::Created(_)));
    let paths: Vec<(String, u64)> = sim
        .calls()
        .await
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().to_owned(),
                c["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("/oauth/token", 200),
        ("/v1/user/signup/registration_code", 401),
        ("/oauth/token", 200),
        ("/v1/user/signup/registration_code", 200),
    ];
    assert_eq!(paths, expected.map(|(p, s)| (p.to_owned(), s)));
}
