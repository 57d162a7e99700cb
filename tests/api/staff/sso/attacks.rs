//! What the callback refuses: a state it never issued, a callback used twice, one brought to
//! another browser, a provider's error, and ID tokens changed between the provider and wiselink
//! (re-signed with the provider's own key, or signed with a key it never published). And a key
//! rotation at the provider, which must not stop anyone.

use super::{app_signing_in_at, audit_events, people};
use crate::helpers::{OpenIdProvider, ProviderBrowser, count_rows};
use reqwest::StatusCode;

fn sessions(app: &crate::helpers::TestApp) -> i64 {
    count_rows(&app.db, "SELECT COUNT(*) AS n FROM staff_sessions")
}

#[tokio::test]
async fn a_forged_state_a_replayed_callback_and_another_browser_are_refused() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(&provider, &[]).await;

    // A state wiselink never issued, with a code the provider really gave.
    let mut browser = app.anonymous();
    let back = browser
        .sso_authorize(&provider, &mut ProviderBrowser::default(), "rita", "")
        .await;
    let code = url::Url::parse(&back)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let forged = format!("/staff/sso/callback?code={code}&state=forged-state-0123456789");
    let answer = browser.get(&forged).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("This sign-in cannot be finished")
    );

    // The real answer, brought to another browser (no cookie binding it): refused, and used up.
    let mut other = app.anonymous();
    let answer = other.sso_callback(&back).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let answer = browser.sso_callback(&back).await;
    assert_eq!(
        answer.status(),
        StatusCode::BAD_REQUEST,
        "a state works once, even for its own browser"
    );
    assert_eq!(sessions(&app), 0);

    // A sign-in that works, then the same callback again.
    let mut browser = app.anonymous();
    let back = browser
        .sso_authorize(&provider, &mut ProviderBrowser::default(), "rita", "")
        .await;
    assert_eq!(browser.sso_callback(&back).await.status(), StatusCode::OK);
    let first = browser.cookie.clone();
    let again = browser.sso_callback(&back).await;
    assert_eq!(
        again.status(),
        StatusCode::BAD_REQUEST,
        "a replayed callback"
    );
    assert_eq!(browser.cookie, first, "the replay set no session");
    assert_eq!(sessions(&app), 1);
    let failed = audit_events(&app, "(sso)");
    assert_eq!(failed, ["sso_login_failed"; 4], "each refusal is recorded");

    // The provider's own answer "the person cancelled": refused, recorded.
    let mut browser = app.anonymous();
    let started = browser.get("/staff/sso/start").await;
    let secret = started
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| {
            v.to_str()
                .unwrap()
                .strip_prefix("__Host-wiselink-staff-sso=")
                .map(|r| r.split(';').next().unwrap().to_owned())
        })
        .unwrap();
    browser.sso_cookie = Some(secret);
    let to = url::Url::parse(started.headers()["location"].to_str().unwrap()).unwrap();
    let state = to.query_pairs().find(|(k, _)| k == "state").unwrap().1;
    let denied = format!(
        "/staff/sso/callback?error=access_denied&error_description=%3Cscript%3E&state={state}"
    );
    let answer = browser.get(&denied).await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let page = answer.text().await.unwrap();
    assert!(page.contains("(access_denied)"), "{page}");
    assert!(!page.contains("<script>"));
}

#[tokio::test]
async fn id_tokens_changed_on_the_way_are_refused() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(&provider, &[]).await;
    // "aud": issued to another client; "exp": expired an hour ago; "nonce": another sign-in's;
    // "iss": another issuer; "sig": signed with a key the provider never published.
    for claim in ["aud", "exp", "nonce", "iss", "sig"] {
        provider.tamper(claim).await;
        let mut browser = app.anonymous();
        let answer = browser
            .sso_sign_in(&provider, &mut ProviderBrowser::default(), "rita", "")
            .await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{claim}");
        let page = answer.text().await.unwrap();
        assert!(
            page.contains("Bank ID did not confirm who you are"),
            "{claim}: {page}"
        );
        assert!(browser.cookie.is_none(), "{claim}: no session");
    }
    let tampered = provider
        .log()
        .await
        .iter()
        .filter(|e| e["at"] == "tampered")
        .count();
    assert_eq!(tampered, 5, "each token really was changed");
    assert_eq!(sessions(&app), 0);
    assert_eq!(
        count_rows(&app.db, "SELECT COUNT(*) AS n FROM staff_users"),
        0
    );
    // Untouched, the same person signs in.
    app.sso_staff(&provider, "rita").await;
}

#[tokio::test]
async fn a_key_rotation_at_the_provider_is_followed() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(&provider, &[]).await;
    let before = app.sso_staff(&provider, "rita").await;
    provider.rotate_keys().await;
    // New ID tokens are signed with the new key: a sign-in, and a session's re-check.
    let after = app.sso_staff(&provider, "victor").await;
    assert_eq!(after.get("/staff").await.status(), StatusCode::OK);
    app.advance(chrono::Duration::minutes(6));
    let answer = before.get("/staff").await;
    assert_eq!(
        answer.status(),
        StatusCode::OK,
        "re-checked under the new key: {:?} {:?}",
        super::audit_events(&app, "rita"),
        provider.log().await
    );
    let refreshes = provider
        .log()
        .await
        .iter()
        .filter(|e| e["at"] == "token" && e["grant_type"] == "refresh_token" && e["status"] == 200)
        .count();
    assert_eq!(refreshes, 1);
}

#[tokio::test]
async fn a_used_code_brought_back_under_a_new_sign_in_is_refused_by_the_provider() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(&provider, &[]).await;
    let mut browser = app.anonymous();
    let mut at_provider = ProviderBrowser::default();
    let back = browser
        .sso_authorize(&provider, &mut at_provider, "rita", "")
        .await;
    assert_eq!(browser.sso_callback(&back).await.status(), StatusCode::OK);
    let used = url::Url::parse(&back)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();

    // A new sign-in in the same browser, its answer swapped for the used code: the state is
    // good, so wiselink asks the provider, which refuses (the code was used, and it was issued
    // for another PKCE challenge).
    let fresh = browser
        .sso_authorize(&provider, &mut at_provider, "rita", "")
        .await;
    let mut swapped = url::Url::parse(&fresh).unwrap();
    let pairs: Vec<(String, String)> = swapped
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "code" {
                used.clone()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    swapped.query_pairs_mut().clear().extend_pairs(pairs);
    let answer = browser.sso_callback(swapped.as_str()).await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let refused = provider
        .log()
        .await
        .iter()
        .filter(|e| e["at"] == "token" && e["status"] == 400 && e["error"] == "invalid_grant")
        .count();
    assert_eq!(refused, 1, "the provider refused the used code");
    assert_eq!(sessions(&app), 1, "only the first sign-in's session");
}
