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
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM links JOIN link_tokens t ON t.link_id = links.id WHERE state = 'relink_required' AND access_token IS NULL AND refresh_token IS NULL").await, 1);
}

/// A link's stored secrets: its id, the sealed registration code, access token and refresh
/// token, and the session token's hash.
type SecretColumns = (
    String,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

/// `secret` as stored plainly, or hex- or base64-encoded.
fn readable_forms(secret: &str) -> [String; 4] {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    [secret.to_owned(), hex::encode(secret), b64, url]
}

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
    let (row_id, sealed_code, sealed_access, sealed_refresh, session_hash): SecretColumns =
        tokio::task::spawn_blocking(move || {
            use diesel::prelude::*;
            use wiselink::db::schema::{link_tokens, links};
            links::table
                .inner_join(link_tokens::table)
                .select((
                    links::id,
                    links::registration_code,
                    link_tokens::access_token,
                    link_tokens::refresh_token,
                    links::session_token_hash,
                ))
                .first(&mut **db.get().unwrap())
                .unwrap()
        })
        .await
        .unwrap();
    assert_eq!(row_id, id);

    // Each sealed column opens with the app's key ring, bound to its row and column, to the
    // value wiselink sent or handed out: storage that only encodes (hex, base64) fails here.
    let keys = wiselink::crypto::KeyRing::parse(
        &crate::helpers::settings(app.database().url(), &[])
            .crypto
            .keys,
    )
    .expect("the development key ring");
    let open = |sealed: &Option<Vec<u8>>, column: &str| -> String {
        let sealed = sealed
            .as_deref()
            .unwrap_or_else(|| panic!("{column} is stored"));
        let aad = wiselink::crypto::Aad {
            table: "links",
            column,
            row: &id,
        };
        String::from_utf8(
            keys.open(sealed, aad)
                .unwrap_or_else(|e| panic!("{column} opens: {e}")),
        )
        .expect("UTF-8")
    };
    assert_eq!(open(&sealed_code, "registration_code"), registration);
    assert_eq!(open(&sealed_access, "access_token"), access);
    let refresh = open(&sealed_refresh, "refresh_token");
    assert!(!refresh.is_empty());
    let wrong_row = wiselink::crypto::Aad {
        table: "links",
        column: "access_token",
        row: "other",
    };
    assert!(
        keys.open(sealed_access.as_deref().unwrap(), wrong_row)
            .is_err(),
        "a sealed value moved to another row does not open"
    );

    for (column, stored) in [
        ("registration_code", sealed_code.unwrap()),
        ("access_token", sealed_access.unwrap()),
        ("refresh_token", sealed_refresh.unwrap()),
        ("session_token_hash", session_hash.expect("a session hash")),
    ] {
        let text = String::from_utf8_lossy(&stored);
        for secret in [&access, &refresh, &registration, &session, &code] {
            for form in readable_forms(secret) {
                assert!(!text.contains(&form), "{column} holds a secret readably");
            }
        }
    }
}
