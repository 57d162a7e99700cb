//! `wiselink staff …`: accounts from the command line.

use crate::helpers::{STAFF_PASSWORD, spawn_app, totp_secret};
use reqwest::StatusCode;

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn staff_accounts_are_managed_from_the_cli_with_strong_passwords_only() {
    let app = spawn_app().await;
    for (password, why) in [
        ("short", "at least 12 characters"),
        ("password1234", "too easy to guess"),
        ("adalovelace1", "too easy to guess"),
    ] {
        let out = app.staff_cli(
            &[
                "staff",
                "add",
                "adalovelace",
                "--role",
                "reviewer",
                "--password-stdin",
            ],
            Some(password),
        );
        assert!(!out.status.success(), "{password} refused");
        assert!(text(&out).contains(why), "{password}: {}", text(&out));
    }
    let no_stdin = app.staff_cli(&["staff", "add", "ada", "--role", "reviewer"], None);
    assert!(!no_stdin.status.success());
    assert!(text(&no_stdin).contains("--password-stdin"));
    let bad_role = app.staff_cli(
        &["staff", "add", "ada", "--role", "boss", "--password-stdin"],
        Some(STAFF_PASSWORD),
    );
    assert!(text(&bad_role).contains("viewer, reviewer or admin"));
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM staff_users").await,
        0,
        "nothing written for a refused account"
    );

    app.add_staff("ada", "reviewer");
    let again = app.staff_cli(
        &["staff", "add", "ada", "--role", "admin", "--password-stdin"],
        Some(STAFF_PASSWORD),
    );
    assert!(text(&again).contains("already exists"));
    let hash_is_argon2id = app
        .count("SELECT COUNT(*) AS n FROM staff_users WHERE password_hash LIKE '$argon2id$v=19$m=19456,t=2,p=1$%'")
        .await;
    assert_eq!(hash_is_argon2id, 1);

    let list = text(&app.staff_cli(&["staff", "list"], None));
    assert!(
        list.contains("ada") && list.contains("reviewer") && list.contains("active"),
        "{list}"
    );
    assert!(!list.contains("argon2") && !list.contains(STAFF_PASSWORD));

    assert!(
        app.staff_cli(&["staff", "set-role", "ada", "admin"], None)
            .status
            .success()
    );
    assert!(
        app.staff_cli(&["staff", "disable", "ada"], None)
            .status
            .success()
    );
    let list = text(&app.staff_cli(&["staff", "list"], None));
    assert!(
        list.contains("admin") && list.contains("disabled"),
        "{list}"
    );
    let mut browser = app.anonymous();
    assert_eq!(
        browser.login("ada", STAFF_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "a disabled account cannot sign in"
    );
    assert!(
        app.staff_cli(&["staff", "enable", "ada"], None)
            .status
            .success()
    );
    assert_eq!(
        browser.login("ada", STAFF_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    let new_password = "quartz-meadow-91-harbour";
    let reset = app.staff_cli(
        &["staff", "reset-password", "ada", "--password-stdin"],
        Some(new_password),
    );
    assert!(reset.status.success(), "{}", text(&reset));
    assert_eq!(
        browser.login("ada", STAFF_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        browser.login("ada", new_password).await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(
        !text(&app.staff_cli(&["staff", "disable", "nobody"], None)).is_empty(),
        "an unknown user is an error"
    );
    let events = app
        .count("SELECT COUNT(*) AS n FROM staff_audit WHERE event IN ('added', 'role_changed', 'disabled', 'enabled', 'password_reset') AND actor = 'cli'")
        .await;
    assert_eq!(events, 5, "every account change is recorded");
}

#[tokio::test]
async fn totp_enrolment_prints_an_otpauth_uri_and_then_sign_in_needs_the_code() {
    let app = spawn_app().await;
    app.add_staff("ada", "admin");
    let stdout = app.enrol_totp("ada", None);
    assert!(stdout.contains("issuer=wiselink"), "{stdout}");
    assert!(stdout.contains('█'), "a QR code for the terminal");
    let secret = totp_secret(&stdout);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM staff_users WHERE totp_secret IS NOT NULL")
            .await,
        1
    );

    let mut browser = app.anonymous();
    assert_eq!(
        browser.login("ada", STAFF_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "the password alone is not enough any more"
    );
    let code = totp_now(&secret);
    let answer = browser
        .login_with(&[
            ("username", "ada"),
            ("password", STAFF_PASSWORD),
            ("totp", &code),
        ])
        .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let replay = app
        .anonymous()
        .login_with(&[
            ("username", "ada"),
            ("password", STAFF_PASSWORD),
            ("totp", &code),
        ])
        .await;
    assert_eq!(
        replay.status(),
        StatusCode::UNAUTHORIZED,
        "a code works once"
    );
}

/// The current RFC 6238 code for a base32 secret (SHA-1, 6 digits, 30 s).
fn totp_now(secret: &str) -> String {
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .with_account_name("ada")
        .build()
        .unwrap();
    totp.generate_current().to_string()
}

#[tokio::test]
async fn the_last_enabled_admin_cannot_be_disabled_or_demoted_from_the_back_office() {
    let app = spawn_app().await;
    app.add_staff("root", "admin");
    let root = app.staff("root").await;
    for (change, form) in [("disable", vec![]), ("role", vec![("role", "reviewer")])] {
        let answer = root
            .post(
                "/staff/admin",
                &format!("/staff/admin/staff/root/{change}"),
                &form,
            )
            .await;
        assert_eq!(answer.status(), StatusCode::CONFLICT, "{change}");
        assert!(
            answer
                .text()
                .await
                .unwrap()
                .contains("the only enabled administrator"),
            "{change}"
        );
    }
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM staff_users WHERE username = 'root' \
             AND role = 'admin' AND disabled_at IS NULL"
        )
        .await,
        1
    );
    // With a second admin, stepping down is allowed (and ends one's own session).
    app.add_staff("ops", "admin");
    let answer = root
        .post(
            "/staff/admin",
            "/staff/admin/staff/root/role",
            &[("role", "reviewer")],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let ops = app.staff("ops").await;
    let answer = ops
        .post("/staff/admin", "/staff/admin/staff/ops/disable", &[])
        .await;
    assert_eq!(
        answer.status(),
        StatusCode::CONFLICT,
        "ops is the last one now"
    );
}
