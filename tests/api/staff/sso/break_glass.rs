//! The one local administrator who may still sign in with a password while staff sign in at the
//! provider: for when the provider is down, and loud every time.

use super::{app_signing_in_at, audit_events, people};
use crate::helpers::{OpenIdProvider, STAFF_PASSWORD};
use reqwest::StatusCode;

#[tokio::test]
async fn the_break_glass_admin_signs_in_with_a_password_and_is_recorded_loudly() {
    let provider = OpenIdProvider::start(people());
    let app = app_signing_in_at(
        &provider,
        &[("WISELINK__STAFF__SSO__BREAK_GLASS_USER", "glass")],
    )
    .await;
    app.add_staff("glass", "admin");
    app.add_staff("olga", "admin");

    let login = app.anonymous().page("/staff/login").await;
    assert!(
        login.contains("<summary>Emergency access</summary>"),
        "{login}"
    );
    assert!(login.contains("name=\"password\""));

    let mut glass = app.anonymous();
    let answer = glass.login("glass", STAFF_PASSWORD).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert!(glass.page("/staff/admin").await.contains("glass (admin)"));
    assert_eq!(audit_events(&app, "glass"), ["added", "break_glass_login"]);
    let metrics = app.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("wiselink_staff_break_glass_logins_total") && l.ends_with(" 1")),
        "the break-glass counter: {metrics}"
    );

    // Any other local account stays off.
    let mut olga = app.anonymous();
    assert_eq!(
        olga.login("olga", STAFF_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        audit_events(&app, "olga"),
        ["added", "login_local_accounts_off"]
    );
}
