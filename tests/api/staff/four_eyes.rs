//! Four-eyes review counts people, not credentials: any API key is the partner (one approver,
//! whatever key), and an account or key made by the first approver after the first approval
//! stands for them. Creating staff or keys asks for the admin's password again.

use crate::helpers::{
    STAFF_PASSWORD, StaffBrowser, TestApp, create_api_key, in_review, problem, spawn_app_with,
};
use reqwest::StatusCode;
use serde_json::json;

async fn four_eyes_app() -> TestApp {
    spawn_app_with(&[("WISELINK__STAFF__APPROVALS_REQUIRED", "2")]).await
}

/// Approves over the partner API with `key`.
async fn approve_with_key(app: &TestApp, id: &str, key: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/links/{id}/approve")))
        .bearer_auth(key)
        .json(&json!({"reason": "checked the passport"}))
        .send()
        .await
        .unwrap()
}

async fn approve_on_screen(browser: &StaffBrowser<'_>, id: &str) -> reqwest::Response {
    let page = format!("/staff/links/{id}");
    browser
        .post(
            &page,
            &format!("{page}/approve"),
            &[("reason", "checked the passport")],
        )
        .await
}

async fn state(app: &TestApp, id: &str) -> (String, i64) {
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    (
        link["state"].as_str().unwrap().to_owned(),
        link["approvals"].as_i64().unwrap(),
    )
}

/// A reviewer the operator adds (CLI) is a second person: their approval activates the link.
async fn a_second_person_approves(app: &TestApp, id: &str) {
    app.add_staff("rita", "reviewer");
    let rita = app.staff("rita").await;
    assert_eq!(
        approve_on_screen(&rita, id).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(state(app, id).await, ("active".into(), 2));
}

/// `admin` adds a reviewer on the admin page (typing their own password again).
async fn add_on_admin_page(admin: &StaffBrowser<'_>, username: &str) {
    let added = admin
        .post(
            "/staff/admin",
            "/staff/admin/staff",
            &[
                ("username", username),
                ("role", "reviewer"),
                ("password", STAFF_PASSWORD),
                ("your_password", STAFF_PASSWORD),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::OK, "{username} added");
}

/// The key an admin creates on the admin page (shown once, in the page).
async fn key_from_admin_page(admin: &StaffBrowser<'_>) -> String {
    let answer = admin
        .post(
            "/staff/admin",
            "/staff/admin/keys",
            &[
                ("name", "second thoughts"),
                ("your_password", STAFF_PASSWORD),
            ],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let page = answer.text().await.unwrap();
    let start = page
        .find("<code class=\"secret\">")
        .expect("the new key is shown")
        + 21;
    let end = page[start..].find('<').unwrap() + start;
    page[start..end].to_owned()
}

#[tokio::test]
async fn an_admin_cannot_second_their_own_approval_with_a_key_they_create_afterwards() {
    let app = four_eyes_app().await;
    let id = in_review(&app, "fe-key").await;
    app.add_staff("root", "admin");
    let root = app.staff("root").await;
    assert_eq!(
        approve_on_screen(&root, &id).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(state(&app, &id).await, ("needs_review".into(), 1));

    let key = key_from_admin_page(&root).await;
    let second = approve_with_key(&app, &id, &key).await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    assert_eq!(problem(second).await["code"], "second_approver_needed");
    assert_eq!(state(&app, &id).await, ("needs_review".into(), 1));
}

#[tokio::test]
async fn an_admin_cannot_second_their_own_approval_with_an_account_they_add_afterwards() {
    let app = four_eyes_app().await;
    let id = in_review(&app, "fe-account").await;
    app.add_staff("root", "admin");
    let root = app.staff("root").await;
    assert_eq!(
        approve_on_screen(&root, &id).await.status(),
        StatusCode::SEE_OTHER
    );
    add_on_admin_page(&root, "sock").await;
    let sock = app.staff("sock").await;
    let second = approve_on_screen(&sock, &id).await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    assert!(second.text().await.unwrap().contains("second reviewer"));
    // Nor through an account that account adds in turn.
    app.execute("UPDATE staff_users SET role = 'admin' WHERE username = 'sock'")
        .await
        .unwrap();
    let sock = app.staff("sock").await;
    add_on_admin_page(&sock, "puppet").await;
    let puppet = app.staff("puppet").await;
    assert_eq!(
        approve_on_screen(&puppet, &id).await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(state(&app, &id).await, ("needs_review".into(), 1));

    a_second_person_approves(&app, &id).await;
}

#[tokio::test]
async fn two_keys_of_the_partner_are_one_approver_and_a_reviewer_is_another() {
    let app = four_eyes_app().await;
    let id = in_review(&app, "fe-keys").await;
    let other_key = create_api_key(&app.db, "back office").await;
    let first = approve_with_key(&app, &id, &app.api_key).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(state(&app, &id).await, ("needs_review".into(), 1));
    let same_partner = approve_with_key(&app, &id, &other_key).await;
    assert_eq!(same_partner.status(), StatusCode::CONFLICT);
    assert_eq!(
        problem(same_partner).await["code"],
        "second_approver_needed"
    );

    a_second_person_approves(&app, &id).await;
}

#[tokio::test]
async fn creating_staff_or_keys_asks_for_the_admins_password() {
    let app = spawn_app_with(&[("WISELINK__STAFF__REAUTH_FAILURES_ALLOWED", "5")]).await;
    app.add_staff("root", "admin");
    let root = app.staff("root").await;
    for (action, form) in [
        (
            "/staff/admin/staff",
            vec![
                ("username", "eve"),
                ("role", "admin"),
                ("password", STAFF_PASSWORD),
            ],
        ),
        ("/staff/admin/keys", vec![("name", "eve's key")]),
    ] {
        let without = root.post("/staff/admin", action, &form).await;
        assert_eq!(without.status(), StatusCode::UNAUTHORIZED, "{action}");
        assert!(
            without
                .text()
                .await
                .unwrap()
                .contains("that is not your password"),
            "{action}"
        );
        let mut wrong = form.clone();
        wrong.push(("your_password", "not-the-password-at-all"));
        let answer = root.post("/staff/admin", action, &wrong).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{action}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM staff_users WHERE username = 'eve'")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM api_keys WHERE name = 'eve''s key'")
            .await,
        0
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM staff_audit WHERE event = 'reauthentication_failed' \
             AND username = 'root'"
        )
        .await,
        4
    );
    // With the password it works.
    let added = root
        .post(
            "/staff/admin",
            "/staff/admin/staff",
            &[
                ("username", "eve"),
                ("role", "reviewer"),
                ("password", STAFF_PASSWORD),
                ("your_password", STAFF_PASSWORD),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::OK);
    assert!(
        added
            .text()
            .await
            .unwrap()
            .contains("Added eve as reviewer")
    );
}
