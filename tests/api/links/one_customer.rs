//! One Wise user, one partner customer: a second customer reaching a Wise user that is actively
//! linked goes to review (`wise_user_linked_elsewhere`), and the first link keeps working through
//! its next refresh — Wise ends a user's earlier refresh token at every grant, so wiselink either
//! does not exchange the second code at all or hands the first link the new pair.

use super::redirect::{on_wise_page, redirect_link};
use super::redirect_again::forward_trip;
use crate::helpers::{TestApp, customer, customer_body, json, problem, spawn_app_with, submit};
use crate::tokens::{active_link, pass, refreshes, token_of, works_at_wise};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiselink::workers::refresher::run_once;

const BY_HAND: (&str, &str) = ("WISELINK__TOKENS__REFRESH_INTERVAL_SECS", "3600");

/// A partner customer with `email` (the Wise user is seeded separately, once).
async fn same_email_customer(app: &TestApp, customer_ref: &str, email: &str) {
    let mut body = customer_body();
    body["email"] = json!(email);
    assert_eq!(
        app.put_customer(customer_ref, &body).await.status(),
        StatusCode::CREATED
    );
}

/// Submits the code Wise emailed last to `email` for `link`.
async fn submit_emailed(app: &TestApp, link: &Value, email: &str) -> reqwest::Response {
    let code = app.sim().latest_code(email).await;
    let (id, session) = (
        link["id"].as_str().unwrap(),
        link["link_session_token"].as_str().unwrap(),
    );
    submit(app, id, session, &code).await
}

fn in_review_elsewhere(link: &Value) {
    assert_eq!(
        (link["state"].as_str(), link["review_reason"].as_str()),
        (Some("needs_review"), Some("wise_user_linked_elsewhere")),
        "{link}"
    );
}

/// Authorization-code exchanges that gave tokens.
async fn granted_exchanges(app: &TestApp) -> usize {
    app.sim()
        .calls()
        .await
        .iter()
        .filter(|c| c["body"]["grant_type"] == "authorization_code" && c["status"] == 200)
        .count()
}

/// The first link still refreshes: seven hours on, the refresher renews it and the new token
/// works at Wise.
async fn keeps_refreshing(app: &TestApp, id: &str) {
    let before = refreshes(app).await.len();
    app.advance(chrono::Duration::hours(7));
    run_once(&app.links, pass()).await;
    assert_eq!(refreshes(app).await.len(), before + 1, "one refresh");
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["state"], "active", "{link}");
    assert!(works_at_wise(app, &token_of(app, id).await).await);
}

#[tokio::test]
async fn a_second_customer_with_the_email_of_an_active_link_goes_to_review_unexchanged() {
    let app = spawn_app_with(&[BY_HAND]).await;
    let first_id = active_link(&app, "first").await;
    let email = "first@example.com";
    same_email_customer(&app, "second", email).await;

    let second = json(app.start_link("second").await).await;
    assert_eq!(second["state"], "awaiting_code");
    let id = second["id"].as_str().unwrap();
    let r = submit_emailed(&app, &second, email).await;
    assert_eq!(r.status(), StatusCode::OK);
    let link = json(r).await;
    in_review_elsewhere(&link);
    assert_eq!(
        granted_exchanges(&app).await,
        1,
        "the second code was not sent"
    );
    assert_eq!(
        app.event_names(id).await.last().map(String::as_str),
        Some("wise_user_linked_elsewhere")
    );

    // Staff cannot activate it: it holds no tokens.
    let approve = app
        .authed(reqwest::Method::POST, &format!("/v1/links/{id}/approve"))
        .json(&json!({"reason": "the customer called us"}))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), StatusCode::CONFLICT);
    assert_eq!(problem(approve).await["code"], "no_tokens");

    keeps_refreshing(&app, &first_id).await;
}

#[tokio::test]
async fn twenty_parallel_attempts_on_two_customers_end_with_one_active_link_that_refreshes() {
    let app = spawn_app_with(&[
        BY_HAND,
        (
            "WISELINK__LIMITS__CODE_SUBMISSIONS_PER_IP_PER_MINUTE",
            "100",
        ),
    ])
    .await;
    let email = "contested@example.com";
    customer(&app, "left", email, Some(json!({}))).await;
    same_email_customer(&app, "right", email).await;
    let mut links = Vec::new();
    for customer_ref in ["left", "right"] {
        let link = json(app.start_link(customer_ref).await).await;
        let code = app.sim().latest_code(email).await;
        links.push((link, code));
    }
    let attempts = (0..20).map(|i| {
        let (link, code) = &links[i % 2];
        let (id, session) = (
            link["id"].as_str().unwrap(),
            link["link_session_token"].as_str().unwrap(),
        );
        submit(&app, id, session, code)
    });
    let answers = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert!(
        statuses.iter().all(|s| [200, 409, 422].contains(s)),
        "{statuses:?}"
    );

    let mut states = Vec::new();
    for (link, _) in &links {
        let read = app
            .get_json(&format!("/v1/links/{}", link["id"].as_str().unwrap()))
            .await;
        states.push(read);
    }
    let active: Vec<&Value> = states.iter().filter(|l| l["state"] == "active").collect();
    assert_eq!(active.len(), 1, "{states:?}");
    assert!(
        granted_exchanges(&app).await <= 1,
        "one grant for the Wise user"
    );
    let other = states.iter().find(|l| l["state"] != "active").unwrap();
    assert!(
        other["state"] == "awaiting_code" || other["review_reason"] == "wise_user_linked_elsewhere",
        "{other}"
    );
    keeps_refreshing(&app, active[0]["id"].as_str().unwrap()).await;
}

#[tokio::test]
async fn tokens_from_another_customers_trip_to_wise_go_to_the_active_link() {
    let app = spawn_app_with(&[BY_HAND]).await;
    let first_id = active_link(&app, "owner").await;
    let email = "owner@example.com";
    let old_token = token_of(&app, &first_id).await;

    // Another customer goes through Wise's page, where the owner's account is logged in.
    let (id, session, to_wise) = redirect_link(&app, "visitor").await;
    let back = on_wise_page(&app, &to_wise, email, "allow").await;
    let r = forward_trip(&app, &id, &session, &back).await;
    assert_eq!(r.status(), StatusCode::OK);
    let link = json(r).await;
    in_review_elsewhere(&link);
    let events = app.event_names(&first_id).await;
    assert_eq!(events.last().map(String::as_str), Some("tokens_reissued"));
    let handed = token_of(&app, &first_id).await;
    assert_ne!(handed, old_token, "the first link holds the new pair");
    assert!(works_at_wise(&app, &handed).await);

    keeps_refreshing(&app, &first_id).await;
}
