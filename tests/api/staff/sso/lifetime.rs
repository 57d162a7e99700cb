//! The provider's word kept through a session: its groups read again every few minutes and
//! before every form, a person removed from a group losing their power, the provider down holding
//! the session, the provider asked to authenticate again before an approval, and signing out
//! there too.

use super::{app_signing_in_at, audit_events, people};
use crate::helpers::{OpenIdProvider, ProviderBrowser, form_value, in_review};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn removing_someone_from_the_group_ends_their_power_at_the_next_form_or_within_minutes() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(&provider, &[]).await;
    let link = in_review(&app, "removed").await;
    let rita = app.sso_staff(&provider, "rita").await;
    let page = format!("/staff/links/{link}");
    assert_eq!(rita.get(&page).await.status(), StatusCode::OK);

    // Moved to the viewers' group: the next decision is re-checked at the provider first.
    provider
        .set_account("rita", json!({ "groups": ["support"] }))
        .await;
    let answer = rita
        .post(
            &page,
            &format!("{page}/reject"),
            &[("reason", "not the customer")],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN, "a viewer now");
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("This needs the reviewer role; you are a viewer.")
    );
    assert_eq!(
        app.get_json(&format!("/v1/links/{link}")).await["state"],
        "needs_review"
    );
    assert!(audit_events(&app, "rita").contains(&"sso_role_changed".to_owned()));

    // Out of every mapped group: pages still open until the re-check is due, then the session
    // is over.
    provider
        .set_account("rita", json!({ "groups": ["everyone"] }))
        .await;
    assert_eq!(rita.get("/staff").await.status(), StatusCode::OK);
    app.advance(Duration::minutes(5));
    let answer = rita.get("/staff").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/staff/login");
    assert_eq!(
        audit_events(&app, "rita").last().map(String::as_str),
        Some("session_ended_sso_no_role")
    );

    // Disabled at the provider: its refresh grant fails, the session ends at the next form.
    let ada = app.sso_staff(&provider, "ada").await;
    provider
        .set_account("ada", json!({ "disabled": true }))
        .await;
    let answer = ada
        .post(&page, &format!("{page}/reject"), &[("reason", "x")])
        .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        audit_events(&app, "ada").last().map(String::as_str),
        Some("session_ended_sso_refused")
    );
}

#[tokio::test]
async fn the_provider_down_holds_the_session_until_it_answers() {
    let mut provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(&provider, &[("WISELINK__STAFF__SSO__TIMEOUT_MS", "2000")]).await;
    let victor = app.sso_staff(&provider, "victor").await;
    provider.stop();
    // Within the re-check window, pages open; once it is due, nothing is served on the session.
    assert_eq!(victor.get("/staff").await.status(), StatusCode::OK);
    app.advance(Duration::minutes(5));
    let answer = victor.get("/staff").await;
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.headers()["retry-after"], "60");
    let page = answer.text().await.unwrap();
    assert!(page.contains("Bank ID did not answer"), "{page}");
    assert_eq!(
        crate::helpers::count_rows(&app.db, "SELECT COUNT(*) AS n FROM staff_sessions"),
        1,
        "the session is kept"
    );
    // The provider back (its grants were in memory: it no longer knows this session's refresh
    // token), the next request asks again instead of trusting the failed check.
    provider.restart();
    let answer = victor.get("/staff").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        audit_events(&app, "victor").last().map(String::as_str),
        Some("session_ended_sso_refused")
    );
}

#[tokio::test]
async fn an_approval_asks_the_provider_to_authenticate_again_once_the_sign_in_is_old() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(&provider, &[]).await;
    let link = in_review(&app, "step-up").await;
    let page = format!("/staff/links/{link}");
    let mut at_provider = ProviderBrowser::default();
    let mut rita = app.anonymous();
    let answer = rita
        .sso_sign_in(&provider, &mut at_provider, "rita", "")
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let fresh = rita.page(&page).await;
    assert!(!fresh.contains("name=\"password\""), "no password to type");
    assert!(!fresh.contains("sign in again at Bank ID"));

    app.advance(Duration::minutes(6));
    let old = rita.page(&page).await;
    let step_up = format!("/staff/sso/start?step_up=1&amp;return_to=/staff/links/{link}");
    assert!(old.contains(&step_up), "{old}");
    let answer = rita
        .post(&page, &format!("{page}/approve"), &[("reason", "checked")])
        .await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);

    // The provider asks for the sign-in again although its session is alive (max_age=0), and
    // the browser comes back to the link.
    let query = format!("?step_up=1&return_to=/staff/links/{link}");
    let answer = rita
        .sso_sign_in(&provider, &mut at_provider, "rita", &query)
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body = answer.text().await.unwrap();
    assert!(body.contains(&format!("url=/staff/links/{link}")), "{body}");
    let auths: Vec<_> = provider
        .log()
        .await
        .into_iter()
        .filter(|e| e["at"] == "auth")
        .collect();
    assert_eq!(auths.last().unwrap()["query"]["max_age"], "0");
    let answer = rita
        .post(&page, &format!("{page}/approve"), &[("reason", "checked")])
        .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_json(&format!("/v1/links/{link}")).await["state"],
        "active"
    );
}

#[tokio::test]
async fn signing_out_revokes_the_refresh_token_and_signs_out_at_the_provider() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(&provider, &[]).await;
    let victor = app.sso_staff(&provider, "victor").await;
    let csrf = form_value(&victor.page("/staff").await, "csrf");
    let answer = victor
        .send_form("/staff/logout", &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let page = answer.text().await.unwrap();
    let to = page
        .split("url=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page goes on to the provider")
        // The page's attribute, HTML-escaped.
        .replace("&#38;", "&");
    let to = url::Url::parse(&to).unwrap_or_else(|e| panic!("{e}: {to}"));
    assert_eq!(
        to.as_str().split('?').next().unwrap(),
        format!("{}/session/end", provider.issuer)
    );
    let query: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "wiselink");
    assert_eq!(
        query["post_logout_redirect_uri"],
        "http://127.0.0.1:8080/staff/login"
    );
    assert!(
        !to.as_str().contains("id_token_hint"),
        "no token in the address"
    );
    let log = provider.log().await;
    let revoked = log
        .iter()
        .any(|e| e["at"] == "revocation" && e["status"] == 200);
    assert!(
        revoked,
        "the refresh token was revoked at the provider: {log:?}"
    );
    assert_eq!(victor.get("/staff").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        crate::helpers::count_rows(&app.db, "SELECT COUNT(*) AS n FROM staff_sessions"),
        0
    );
}
