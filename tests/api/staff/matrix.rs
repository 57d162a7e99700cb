//! Every staff route × anonymous and each role, walked through the running app's router:
//! strangers are sent to sign in, a role too small gets 403, an allowed one reaches the handler
//! (whose answer the table states). The table is the policy, written apart from the code (where
//! each handler's extractor names its least role).

use crate::helpers::{StaffBrowser, form_value, in_review, spawn_app_with};
use reqwest::StatusCode;
use wiselink::domain::Role;

/// Who may use each route, and what an allowed caller gets for the harmless request the walk
/// sends (empty reasons, unknown names).
pub(super) const EXPECTED: &[(&str, &str, Option<Role>, u16)] = &[
    ("GET", "/staff/login", None, 200),
    ("POST", "/staff/login", None, 401),
    // Without single sign-on configured.
    ("GET", "/staff/sso/start", None, 404),
    ("GET", "/staff/sso/callback", None, 404),
    ("POST", "/staff/logout", Some(Role::Viewer), 200),
    ("GET", "/staff", Some(Role::Viewer), 200),
    ("GET", "/staff/links/{link_id}", Some(Role::Viewer), 200),
    (
        "POST",
        "/staff/links/{link_id}/approve",
        Some(Role::Reviewer),
        422,
    ),
    (
        "POST",
        "/staff/links/{link_id}/reject",
        Some(Role::Reviewer),
        422,
    ),
    (
        "POST",
        "/staff/links/{link_id}/unlock",
        Some(Role::Reviewer),
        422,
    ),
    (
        "POST",
        "/staff/links/{link_id}/unlink",
        Some(Role::Reviewer),
        422,
    ),
    // No reason given.
    (
        "POST",
        "/staff/links/{link_id}/erase-customer",
        Some(Role::Admin),
        422,
    ),
    ("GET", "/staff/admin", Some(Role::Admin), 200),
    // Creating staff or keys asks for the admin's password first: none was typed.
    ("POST", "/staff/admin/staff", Some(Role::Admin), 401),
    (
        "POST",
        "/staff/admin/staff/{username}/role",
        Some(Role::Admin),
        404,
    ),
    (
        "POST",
        "/staff/admin/staff/{username}/disable",
        Some(Role::Admin),
        404,
    ),
    (
        "POST",
        "/staff/admin/staff/{username}/enable",
        Some(Role::Admin),
        404,
    ),
    ("POST", "/staff/admin/keys", Some(Role::Admin), 401),
    (
        "POST",
        "/staff/admin/keys/{key_id}/revoke",
        Some(Role::Admin),
        404,
    ),
    ("GET", "/staff/webhooks", Some(Role::Admin), 200),
    // Registering an endpoint asks for the admin's password first: none was typed.
    ("POST", "/staff/webhooks", Some(Role::Admin), 401),
    (
        "POST",
        "/staff/webhooks/{endpoint_id}/disable",
        Some(Role::Admin),
        404,
    ),
    (
        "POST",
        "/staff/webhooks/{endpoint_id}/enable",
        Some(Role::Admin),
        404,
    ),
    (
        "POST",
        "/staff/webhooks/{endpoint_id}/delete",
        Some(Role::Admin),
        404,
    ),
    // No first day given.
    (
        "POST",
        "/staff/webhooks/{endpoint_id}/resend",
        Some(Role::Admin),
        422,
    ),
];

/// A route's pattern with the walk's ids in it.
pub(super) fn path_of(pattern: &str, link: &str) -> String {
    pattern
        .replace("{link_id}", link)
        .replace("{username}", "nobody")
        .replace("{key_id}", "nokey")
        .replace("{endpoint_id}", "we_00000000000000000000000000000000")
}

/// The walk's harmless request to `path`: a GET, or a form with its token and empty reasons.
pub(super) async fn walk(
    browser: &StaffBrowser<'_>,
    method: &str,
    path: &str,
) -> reqwest::Response {
    if method == "GET" {
        return browser.get(path).await;
    }
    let csrf = form_value(&browser.page("/staff").await, "csrf");
    let mut form = vec![("csrf", csrf.as_str()), ("reason", "")];
    if path.ends_with("/role") {
        form.push(("role", "viewer"));
    }
    browser.send_form(path, &form).await
}

#[tokio::test]
async fn the_route_table_times_every_role_and_anonymous() {
    // One sign-in per request: more than the default per-IP limit allows in a minute.
    let app = spawn_app_with(&[("WISELINK__STAFF__LOGINS_PER_IP_PER_MINUTE", "1000")]).await;
    let link = in_review(&app, "matrix").await;
    for role in Role::ALL {
        app.add_staff(role.as_str(), role.as_str());
    }
    for (method, pattern, needed, allowed_status) in EXPECTED {
        let path = path_of(pattern, &link);
        let anonymous = app.anonymous();
        let answer = match *method {
            "GET" => anonymous.get(&path).await,
            _ => anonymous.send_form(&path, &[]).await,
        };
        let expected_anonymous = if needed.is_some() {
            303
        } else {
            *allowed_status
        };
        assert_eq!(
            answer.status().as_u16(),
            expected_anonymous,
            "anonymous {method} {path}"
        );
        if needed.is_some() {
            assert_eq!(answer.headers()["location"], "/staff/login");
        }
        for role in Role::ALL {
            // A session of its own for each request: signing out ends them.
            let browser = app.staff(role.as_str()).await;
            let answer = walk(&browser, method, &path).await;
            let expected = match needed {
                Some(needed) if !role.allows(*needed) => StatusCode::FORBIDDEN.as_u16(),
                _ => *allowed_status,
            };
            assert_eq!(answer.status().as_u16(), expected, "{role} {method} {path}");
        }
    }
    // Any other /staff address: strangers sign in first; staff get "not found".
    assert_eq!(
        app.anonymous().get("/staff/nothing/here").await.status(),
        StatusCode::SEE_OTHER
    );
    let viewer = app.staff("viewer").await;
    assert_eq!(
        viewer.get("/staff/nothing/here").await.status(),
        StatusCode::NOT_FOUND
    );
    // An action the page does not offer is not found, after the gate has let the caller in.
    let reviewer = app.staff("reviewer").await;
    let csrf = form_value(&reviewer.page("/staff").await, "csrf");
    let delete = format!("/staff/links/{link}/delete");
    let answer = reviewer
        .send_form(&delete, &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    let answer = app.anonymous().send_form(&delete, &[]).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_json(&format!("/v1/links/{link}")).await["state"],
        "needs_review",
        "the walk changed nothing"
    );
}
