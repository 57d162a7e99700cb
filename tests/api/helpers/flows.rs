//! The steps many tests share: a customer (and its Wise user), a started link, a link waiting for
//! the code Wise emailed.

use super::{TestApp, customer_body, json};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A customer in wiselink and, optionally, a Wise user with the same email (`wise` fields).
pub async fn customer(app: &TestApp, customer_ref: &str, email: &str, wise: Option<Value>) {
    let mut body = customer_body();
    body["email"] = json!(email);
    assert_eq!(
        app.put_customer(customer_ref, &body).await.status(),
        StatusCode::CREATED
    );
    if let Some(extra) = wise {
        app.sim().seed(email, extra).await;
    }
}

pub async fn start(app: &TestApp, customer_ref: &str) -> reqwest::Response {
    app.start_link(customer_ref).await
}

/// Starts a link for an existing Wise user; returns (link id, session token, emailed code).
pub async fn awaiting_code(
    app: &TestApp,
    customer_ref: &str,
    email: &str,
    wise: Value,
) -> (String, String, String) {
    customer(app, customer_ref, email, Some(wise)).await;
    let response = start(app, customer_ref).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let link = json(response).await;
    let code = app.sim().latest_code(email).await;
    (
        link["id"].as_str().unwrap().to_owned(),
        link["link_session_token"].as_str().unwrap().to_owned(),
        code,
    )
}

pub async fn submit(app: &TestApp, link_id: &str, bearer: &str, code: &str) -> reqwest::Response {
    app.submit_code(link_id, bearer, code).await
}

/// How many authorization-code exchanges reached Wise.
pub async fn code_exchanges(app: &TestApp) -> usize {
    app.sim()
        .calls()
        .await
        .iter()
        .filter(|c| c["body"]["grant_type"] == "authorization_code")
        .count()
}

/// A link in `needs_review` (`dob_mismatch`) for `customer_ref`: the partner holds 1990-04-12,
/// Wise 1990-12-04 — day and month swapped.
pub async fn in_review(app: &TestApp, customer_ref: &str) -> String {
    let email = format!("{customer_ref}@example.com");
    let (id, session, code) = awaiting_code(
        app,
        customer_ref,
        &email,
        json!({"date_of_birth": "1990-12-04"}),
    )
    .await;
    let mut customer = customer_body();
    customer["email"] = json!(email);
    customer["date_of_birth"] = json!("1990-04-12");
    app.put_customer(customer_ref, &customer).await;
    let done = json(submit(app, &id, &session, &code).await).await;
    assert_eq!(done["state"], "needs_review");
    assert_eq!(done["review_reason"], "dob_mismatch");
    id
}
