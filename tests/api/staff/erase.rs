//! An admin erases a customer from a link's page: a reason and the password every time; a
//! reviewer cannot; a wrong password erases nothing; the erasure is the API's, on the trail as
//! the admin's.

use crate::helpers::{STAFF_PASSWORD, StaffBrowser, in_review, spawn_app_with};
use reqwest::StatusCode;

async fn erase(browser: &StaffBrowser<'_>, id: &str, password: &str) -> reqwest::Response {
    let page = format!("/staff/links/{id}");
    browser
        .post(
            &page,
            &format!("{page}/erase-customer"),
            &[
                ("reason", "erasure request, ticket 4711"),
                ("password", password),
            ],
        )
        .await
}

#[tokio::test]
async fn an_admin_erases_a_customer_from_its_link_with_a_reason_and_the_password() {
    let app = spawn_app_with(&[]).await;
    let id = in_review(&app, "staff-erase").await;
    app.add_staff("root", "admin");
    app.add_staff("rita", "reviewer");
    let customer = "SELECT COUNT(*) AS n FROM customers WHERE customer_ref = 'staff-erase' \
                    AND erased_at IS NOT NULL AND email IS NULL";

    let rita = app.staff("rita").await;
    let page = rita.page(&format!("/staff/links/{id}")).await;
    assert!(
        !page.contains("erase-customer"),
        "no erasure offered to a reviewer"
    );
    let csrf = crate::helpers::form_value(&page, "csrf");
    let refused = rita
        .send_form(
            &format!("/staff/links/{id}/erase-customer"),
            &[
                ("csrf", csrf.as_str()),
                ("reason", "because"),
                ("password", STAFF_PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let root = app.staff("root").await;
    let page = root.page(&format!("/staff/links/{id}")).await;
    assert!(page.contains("Erase the customer"), "offered to an admin");
    let wrong = erase(&root, &id, "not-my-password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.unwrap().contains("Not erased"));
    assert_eq!(
        app.count(customer).await,
        0,
        "a wrong password erases nothing"
    );

    let done = erase(&root, &id, STAFF_PASSWORD).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        done.headers()["location"],
        format!("/staff/links/{id}?done=erased").as_str()
    );
    assert_eq!(app.count(customer).await, 1);
    let page = root.page(&format!("/staff/links/{id}?done=erased")).await;
    assert!(page.contains("Erased: the customer"), "{page}");
    assert!(
        !page.contains("Erase the customer"),
        "nothing left to erase"
    );
    assert!(
        !page.contains("staff-erase@example.com"),
        "the email is gone from the page"
    );

    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["state"], "unlinked");
    let events = app.get_json(&format!("/v1/links/{id}/events")).await;
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "staff:root");
    assert_eq!(
        last["reason"], "erasure request, ticket 4711",
        "the erasure's own reason stays"
    );
    let audited = "SELECT COUNT(*) AS n FROM staff_audit WHERE username = 'customer:staff-erase' \
                   AND event = 'customer_erased' AND actor = 'staff:root'";
    assert_eq!(app.count(audited).await, 1);
}
