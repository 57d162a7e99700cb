//! Second factors and what a sign-in reveals: wrong TOTP codes count toward the account's delay,
//! TOTP secrets survive key rotation, and a right password is never answered differently from a
//! wrong one — not with a wrong code, not for an admin without a second factor where one is
//! required, not when the secret cannot be opened.

use crate::helpers::{
    STAFF_PASSWORD, StaffBrowser, TestApp, run_cli, spawn_app, spawn_app_with, totp_secret,
};
use reqwest::StatusCode;
use wiselink::crypto::KeyRing;

/// Enrols a TOTP secret for `username`, sealed with `keys` (the development key when `None`);
/// returns the base32 secret.
fn enrol_with_keys(app: &TestApp, username: &str, keys: Option<&str>) -> String {
    totp_secret(&app.enrol_totp(username, keys))
}

fn enrol(app: &TestApp, username: &str) -> String {
    enrol_with_keys(app, username, None)
}

/// The code for `secret` at the app's clock (RFC 6238: SHA-1, 6 digits, 30 s).
fn code_now(app: &TestApp, secret: &str) -> String {
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .with_account_name("staff")
        .build()
        .unwrap();
    let now = app.sim().clock.now_utc().timestamp() as u64;
    totp.generate(now).to_string()
}

/// A code that is not the current one.
fn wrong_code(right: &str) -> String {
    let n: u32 = right.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn sign_in(
    browser: &mut StaffBrowser<'_>,
    password: &str,
    code: &str,
) -> (StatusCode, String) {
    let answer = browser
        .login_with(&[("username", "ada"), ("password", password), ("totp", code)])
        .await;
    let status = answer.status();
    (status, answer.text().await.unwrap())
}

#[tokio::test]
async fn wrong_codes_with_the_right_password_count_and_bring_the_wait() {
    let app = spawn_app().await;
    app.add_staff("ada", "admin");
    let secret = enrol(&app, "ada");
    let mut browser = app.anonymous();
    let (_, wrong_password_page) = sign_in(&mut browser, "wrong-password-here", "000000").await;
    for _ in 0..4 {
        let code = wrong_code(&code_now(&app, &secret));
        let (status, page) = sign_in(&mut browser, STAFF_PASSWORD, &code).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            page, wrong_password_page,
            "a right password is not told apart"
        );
    }
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM staff_users WHERE username = 'ada' AND failed_logins = 5"
        )
        .await,
        1,
        "wrong codes are failures like wrong passwords"
    );
    // Five failures: the next attempt waits, whatever it brings.
    let code = code_now(&app, &secret);
    assert_eq!(
        sign_in(&mut browser, STAFF_PASSWORD, &code).await.0,
        StatusCode::UNAUTHORIZED
    );
    app.advance(chrono::Duration::seconds(3));
    let code = code_now(&app, &secret);
    assert_eq!(
        sign_in(&mut browser, STAFF_PASSWORD, &code).await.0,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn totp_users_sign_in_after_a_key_rotation_drops_the_old_key() {
    let old = KeyRing::generate_entry("k2025");
    let new = KeyRing::generate_entry("k2026");
    let first = spawn_app_with(&[("WISELINK__CRYPTO__KEYS", old.as_str())]).await;
    first.add_staff("ada", "admin");
    let secret = enrol_with_keys(&first, "ada", Some(&old));
    let ring = format!("{old},{new}");
    let app = first
        .restart_with(&[("WISELINK__CRYPTO__KEYS", ring.as_str())])
        .await;
    let out = run_cli(
        &["keys", "rotate"],
        &[
            ("WISELINK__DATABASE__URL", app.database().url()),
            ("WISELINK__CRYPTO__KEYS", ring.as_str()),
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 staff TOTP secrets"), "{stdout}");
    let app = app
        .restart_with(&[("WISELINK__CRYPTO__KEYS", new.as_str())])
        .await;
    let mut browser = app.anonymous();
    let code = code_now(&app, &secret);
    assert_eq!(
        sign_in(&mut browser, STAFF_PASSWORD, &code).await.0,
        StatusCode::SEE_OTHER,
        "the secret opens with the new key alone"
    );
}

#[tokio::test]
async fn an_unreadable_secret_answers_a_right_password_like_a_wrong_one() {
    let old = KeyRing::generate_entry("k2025");
    let other = KeyRing::generate_entry("k2026");
    let first = spawn_app_with(&[("WISELINK__CRYPTO__KEYS", old.as_str())]).await;
    first.add_staff("ada", "admin");
    let secret = enrol_with_keys(&first, "ada", Some(&old));
    // The old key removed without a rotation: the secret cannot be opened.
    let app = first
        .restart_with(&[("WISELINK__CRYPTO__KEYS", other.as_str())])
        .await;
    let mut browser = app.anonymous();
    let code = code_now(&app, &secret);
    let right = sign_in(&mut browser, STAFF_PASSWORD, &code).await;
    let wrong = sign_in(&mut browser, "wrong-password-here", &code).await;
    assert_eq!(right.0, StatusCode::UNAUTHORIZED);
    assert_eq!(right, wrong);
}

#[tokio::test]
async fn an_admin_without_a_required_second_factor_is_refused_like_anyone_and_loses_old_sessions() {
    let app = spawn_app().await;
    app.add_staff("ada", "admin");
    let before = app.staff("ada").await;
    assert_eq!(before.get("/staff/admin").await.status(), StatusCode::OK);
    let cookie = before.cookie.clone();

    let app = app
        .restart_with(&[("WISELINK__STAFF__REQUIRE_TOTP_FOR_ADMIN", "true")])
        .await;
    let mut old = app.anonymous();
    old.cookie = cookie;
    let answer = old.get("/staff/admin").await;
    assert_eq!(
        answer.status(),
        StatusCode::SEE_OTHER,
        "the earlier session ended"
    );
    assert_eq!(answer.headers()["location"], "/staff/login");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM staff_audit WHERE event = 'session_ended_totp_required'"
        )
        .await,
        1
    );

    let mut browser = app.anonymous();
    let right = browser.login("ada", STAFF_PASSWORD).await;
    let right = (right.status(), right.text().await.unwrap());
    let wrong = browser.login("ada", "wrong-password-here").await;
    let wrong = (wrong.status(), wrong.text().await.unwrap());
    assert_eq!(right.0, StatusCode::UNAUTHORIZED);
    assert_eq!(right, wrong, "the right password is not confirmed");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM staff_audit WHERE event = 'login_needs_totp_enrolment'"
        )
        .await,
        1,
        "the operator can see why"
    );
}
