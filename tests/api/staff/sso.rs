//! Staff single sign-on against a real OpenID provider (npm's `oidc-provider`, on loopback):
//! signing in, what the callback refuses, the provider's word kept through a session, signing out,
//! and the break-glass account.

mod attacks;
mod break_glass;
mod fleet;
mod lifetime;
mod matrix;

use crate::helpers::{
    OpenIdProvider, ProviderBrowser, TestApp, count_rows, spawn_app_with, text_rows,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The people at the provider: one per role, one in no mapped group, one mapped by a second
/// group name.
pub fn people() -> Value {
    json!({
        "ada": { "groups": ["wiselink-admins", "everyone"] },
        "rita": { "groups": ["wiselink-reviewers"] },
        "victor": { "groups": ["support"] },
        "nora": { "groups": ["everyone"] },
    })
}

/// An app whose staff sign in at `provider`, with `extra` settings.
pub async fn app_signing_in_at(provider: &OpenIdProvider, extra: &[(&str, &str)]) -> TestApp {
    let settings = provider.settings();
    let mut overrides: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    overrides.extend_from_slice(extra);
    spawn_app_with(&overrides).await
}

/// The staff audit's events for `username`, oldest first.
pub fn audit_events(app: &TestApp, username: &str) -> Vec<String> {
    text_rows(
        &app.db,
        &format!("SELECT event AS s FROM staff_audit WHERE username = '{username}' ORDER BY id"),
    )
}

#[tokio::test]
async fn each_mapped_group_signs_in_with_its_role_and_pkce_state_and_nonce_travel() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(&provider, &[]).await;

    let login = app.anonymous().page("/staff/login").await;
    assert!(login.contains("href=\"/staff/sso/start\""), "{login}");
    assert!(login.contains("Sign in with Bank ID"));
    assert!(
        !login.contains("name=\"password\""),
        "no password form without a break-glass account"
    );

    for (who, role) in [("ada", "admin"), ("rita", "reviewer"), ("victor", "viewer")] {
        let browser = app.sso_staff(&provider, who).await;
        let queue = browser.page("/staff").await;
        assert!(queue.contains(&format!("{who} ({role})")), "{who}: {queue}");
        let events = audit_events(&app, who);
        assert_eq!(events, ["sso_account_created", "sso_login"], "{who}");
    }

    // What wiselink sent the provider: PKCE with S256, a state, a nonce, the scopes.
    let log = provider.log().await;
    let auth = log
        .iter()
        .find(|e| e["at"] == "auth")
        .expect("an authorization");
    let query = &auth["query"];
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["code_challenge"].as_str().unwrap().len(), 43);
    assert!(query["state"].as_str().unwrap().len() >= 43);
    assert!(query["nonce"].as_str().unwrap().len() >= 43);
    assert_eq!(query["scope"], "openid profile email groups offline_access");
    assert_eq!(
        query["redirect_uri"],
        "http://127.0.0.1:8080/staff/sso/callback"
    );

    // The accounts the provider vouched for have no password here and keep the provider's
    // subject; their sessions keep the refresh token sealed, never in the clear.
    let rows = text_rows(
        &app.db,
        "SELECT username || ' ' || role || ' ' || sso_subject || ' ' || password_hash AS s \
         FROM staff_users ORDER BY username",
    );
    assert_eq!(
        rows,
        [
            "ada admin ada !sso",
            "rita reviewer rita !sso",
            "victor viewer victor !sso"
        ]
    );
    assert_eq!(
        count_rows(
            &app.db,
            "SELECT COUNT(*) AS n FROM staff_sessions WHERE sso_refresh_token IS NOT NULL"
        ),
        3
    );
    let mut rita = app.anonymous();
    let answer = rita.login("rita", "any").await;
    assert_eq!(
        answer.status(),
        StatusCode::UNAUTHORIZED,
        "no password works for rita"
    );
}

#[tokio::test]
async fn someone_in_no_mapped_group_is_refused_with_a_page_that_says_why() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(&provider, &[]).await;
    let mut browser = app.anonymous();
    let answer = browser
        .sso_sign_in(&provider, &mut ProviderBrowser::default(), "nora", "")
        .await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let page = answer.text().await.unwrap();
    assert!(
        page.contains("you are in none of the groups that give access to the back office"),
        "{page}"
    );
    assert!(browser.cookie.is_none(), "no session");
    assert_eq!(audit_events(&app, "nora"), ["sso_login_no_role"]);
    assert_eq!(
        count_rows(&app.db, "SELECT COUNT(*) AS n FROM staff_users"),
        0,
        "no account is made for someone without a role"
    );
}

#[tokio::test]
async fn local_accounts_are_off_with_single_sign_on() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(&provider, &[]).await;
    app.add_staff("olga", "admin");
    let mut browser = app.anonymous();
    let answer = browser.login("olga", crate::helpers::STAFF_PASSWORD).await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(browser.cookie.is_none());
    assert_eq!(
        audit_events(&app, "olga"),
        ["added", "login_local_accounts_off"]
    );

    // The same account's session from before single sign-on was turned on ends.
    let before = spawn_app_with(&[]).await;
    before.add_staff("olga", "admin");
    let cookie = before.staff("olga").await.cookie.clone();
    let after = before
        .restart_with(
            &provider
                .settings()
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    let mut moved = after.anonymous();
    moved.cookie = cookie;
    let answer = moved.get("/staff").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert!(audit_events(&after, "olga").contains(&"session_ended_local_accounts_off".to_owned()));
}

#[tokio::test]
async fn a_disabled_account_and_a_taken_name_are_refused_and_admins_need_no_local_second_factor() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(
        &provider,
        &[("WISELINK__STAFF__REQUIRE_TOTP_FOR_ADMIN", "true")],
    )
    .await;
    // The provider asks for its own second factors: the local TOTP rule is for passwords.
    let ada = app.sso_staff(&provider, "ada").await;
    let admin = ada.page("/staff/admin").await;
    assert!(admin.contains("ada (admin)"));
    assert!(
        admin.contains("Staff sign in at Bank ID"),
        "the admin screen says local accounts are off"
    );

    let out = app.staff_cli(&["staff", "disable", "ada"], None);
    assert!(out.status.success());
    assert_eq!(ada.get("/staff").await.status(), StatusCode::SEE_OTHER);
    let mut again = app.anonymous();
    let answer = again
        .sso_sign_in(&provider, &mut ProviderBrowser::default(), "ada", "")
        .await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert!(answer.text().await.unwrap().contains("is disabled"));
    assert!(again.cookie.is_none());
    assert_eq!(
        audit_events(&app, "ada").last().map(String::as_str),
        Some("sso_login_disabled")
    );

    // A local account already has rita's name: refused, recorded, no session.
    app.add_staff("rita", "viewer");
    let mut rita = app.anonymous();
    let answer = rita
        .sso_sign_in(&provider, &mut ProviderBrowser::default(), "rita", "")
        .await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    assert!(rita.cookie.is_none());
    assert_eq!(
        audit_events(&app, "rita"),
        ["added", "sso_login_name_taken"]
    );
}
