//! The password typed again before an approval is throttled like a sign-in: while the account
//! waits out failures nothing is checked, `staff.reauth_failures_allowed` wrong ones end the
//! session, and the right one forgets every failure.

use crate::helpers::{STAFF_PASSWORD, StaffBrowser, TestApp, in_review, spawn_app_with};
use reqwest::StatusCode;

async fn approve(browser: &StaffBrowser<'_>, id: &str, password: &str) -> reqwest::Response {
    let page = format!("/staff/links/{id}");
    browser
        .post(
            &page,
            &format!("{page}/approve"),
            &[("reason", "checked the passport"), ("password", password)],
        )
        .await
}

async fn link_state(app: &TestApp, id: &str) -> String {
    app.get_json(&format!("/v1/links/{id}")).await["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn wrong_passwords_in_the_re_prompt_end_the_session_and_count_toward_the_sign_in_delay() {
    let app = spawn_app_with(&[]).await;
    let id = in_review(&app, "re-wrong").await;
    app.add_staff("rita", "reviewer");
    let rita = app.staff("rita").await;
    app.advance(chrono::Duration::minutes(6));
    for left in [2, 1] {
        let wrong = approve(&rita, &id, "not-my-password").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let page = wrong.text().await.unwrap();
        assert!(
            page.contains(&format!("{left} more wrong and you are signed out")),
            "{page}"
        );
    }
    let third = approve(&rita, &id, "not-my-password").await;
    assert_eq!(third.status(), StatusCode::SEE_OTHER);
    assert_eq!(third.headers()["location"], "/staff/login");
    assert_eq!(
        rita.get("/staff").await.status(),
        StatusCode::SEE_OTHER,
        "the session has ended"
    );
    assert_eq!(link_state(&app, &id).await, "needs_review");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM staff_users WHERE username = 'rita' AND failed_logins = 3"
        )
        .await,
        1,
        "each wrong password counts toward the account's sign-in delay"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM staff_audit WHERE event = 'session_ended_reauth_failures'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn while_the_account_waits_the_re_prompt_checks_nothing_and_the_right_password_resets_it() {
    let app = spawn_app_with(&[
        ("WISELINK__STAFF__FREE_LOGIN_FAILURES", "1"),
        ("WISELINK__STAFF__REAUTH_FAILURES_ALLOWED", "5"),
    ])
    .await;
    let id = in_review(&app, "re-wait").await;
    app.add_staff("rita", "reviewer");
    let rita = app.staff("rita").await;
    app.advance(chrono::Duration::minutes(6));
    let wrong = approve(&rita, &id, "not-my-password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // One failure, one free: the account waits 2 s, and even the right password is not taken.
    let waiting = approve(&rita, &id, STAFF_PASSWORD).await;
    assert_eq!(waiting.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(waiting.text().await.unwrap().contains("Wait a few minutes"));
    assert_eq!(link_state(&app, &id).await, "needs_review");
    // The sign-in page is held back the same way.
    assert_eq!(
        app.anonymous().login("rita", STAFF_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    app.advance(chrono::Duration::seconds(3));
    let ok = approve(&rita, &id, STAFF_PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(link_state(&app, &id).await, "active");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM staff_users WHERE username = 'rita' AND failed_logins = 0"
        )
        .await,
        1,
        "a confirmed password forgets the failures"
    );
}
