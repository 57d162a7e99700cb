//! Handing out access tokens (refreshed when due, revocation means re-link), and what is stored
//! of them: sealed, never plain.

use crate::helpers::{awaiting_code, json, problem, spawn_app, submit};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn expired_access_tokens_are_refreshed_on_demand_and_revocation_means_relink() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "c-r", "refresh@example.com", json!({})).await;
    assert_eq!(
        json(submit(&app, &id, &session, &code).await).await["state"],
        "active"
    );
    let first = json(app.access_token(&id).await).await;
    app.advance(chrono::Duration::hours(12));
    let second = json(app.access_token(&id).await).await;
    assert_ne!(first["access_token"], second["access_token"]);
    let old = app
        .sim()
        .http
        .get(app.sim().url("/v1/me"))
        .bearer_auth(first["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.status(),
        StatusCode::UNAUTHORIZED,
        "Wise killed the previous token"
    );

    let user_id = app.get_json(&format!("/v1/links/{id}")).await["wise_user_id"]
        .as_i64()
        .unwrap();
    app.sim().user_action(user_id, "revoke", None).await;
    app.advance(chrono::Duration::hours(12));
    let r = app.access_token(&id).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem(r).await["code"], "relink_required");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM links WHERE state = 'relink_required' AND access_token IS NULL AND refresh_token IS NULL").await, 1);
}

/// The secret columns of a link row.
type SealedColumns = (
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

#[tokio::test]
async fn secrets_are_sealed_at_rest() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "c-s", "sealed@example.com", json!({})).await;
    submit(&app, &id, &session, &code).await;
    let token = json(app.access_token(&id).await).await;
    let access = token["access_token"].as_str().unwrap().to_owned();
    let registration = app
        .sim()
        .calls()
        .await
        .into_iter()
        .find(|c| c["path"] == "/v1/user/signup/registration_code")
        .unwrap()["body"]["registrationCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let db = app.db.clone();
    let rows: Vec<Vec<u8>> = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use wiselink::db::schema::links;
        let row: SealedColumns = links::table
            .select((
                links::registration_code,
                links::access_token,
                links::refresh_token,
                links::session_token_hash,
            ))
            .first(&mut **db.get().unwrap())
            .unwrap();
        vec![
            row.0.unwrap(),
            row.1.unwrap(),
            row.2.unwrap(),
            row.3.unwrap(),
        ]
    })
    .await
    .unwrap();
    for column in &rows {
        let text = String::from_utf8_lossy(column);
        for secret in [
            access.as_str(),
            registration.as_str(),
            session.as_str(),
            code.as_str(),
        ] {
            assert!(!text.contains(secret), "a secret is stored in plaintext");
        }
    }
}
