//! Erasure and retention: `DELETE /v1/customers/{ref}` unlinks and erases the customer's personal
//! data everywhere it lives, while the links, their events and the audit chain stay and verify;
//! the retention worker does the same for final links once their period has passed.

mod faults;
mod logs;
mod retention;

use crate::audit::{sealed, verify};
use crate::canary::probe::{assert_absent, database_contents};
use crate::helpers::{TestApp, awaiting_code, customer_body, json, problem, spawn_app, submit};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration as StdDuration;

pub(super) const EMAIL: &str = "quentella.zyzzlewort@example.com";
pub(super) const FIRST: &str = "Quentella";
pub(super) const LAST: &str = "Zyzzlewort";
pub(super) const DOB: &str = "1961-07-23";

/// A customer with the canary details and an active link; returns the link's id.
pub(super) async fn linked_canary(app: &TestApp, customer_ref: &str) -> String {
    let wise = json!({"date_of_birth": DOB, "first_name": FIRST, "last_name": LAST});
    app.sim().seed(EMAIL, wise).await;
    put_canary(app, customer_ref, DOB).await;
    let (id, session) = started(app, customer_ref).await;
    let code = app.sim().latest_code(EMAIL).await;
    let done = json(submit(app, &id, &session, &code).await).await;
    assert_eq!(done["state"], "active", "{done}");
    id
}

/// Creates or replaces the canary customer (with an Idempotency-Key, so that a stored answer
/// holds the details too).
async fn put_canary(app: &TestApp, customer_ref: &str, dob: &str) {
    let mut body = customer_body();
    body["email"] = json!(EMAIL);
    body["first_name"] = json!(FIRST);
    body["last_name"] = json!(LAST);
    body["date_of_birth"] = json!(dob);
    let put = app
        .authed(Method::PUT, &format!("/v1/customers/{customer_ref}"))
        .header("Idempotency-Key", format!("put-{customer_ref}-{dob}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
}

/// Starts a link (with an Idempotency-Key); returns its id and session token.
async fn started(app: &TestApp, customer_ref: &str) -> (String, String) {
    let started = app
        .authed(Method::POST, "/v1/links")
        .header(
            "Idempotency-Key",
            format!("start-{customer_ref}-{}", rand_suffix()),
        )
        .json(&json!({"customer_ref": customer_ref}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::CREATED);
    let link = json(started).await;
    (
        link["id"].as_str().unwrap().to_owned(),
        link["link_session_token"].as_str().unwrap().to_owned(),
    )
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

pub(super) async fn erase(app: &TestApp, customer_ref: &str) -> reqwest::Response {
    app.authed(Method::DELETE, &format!("/v1/customers/{customer_ref}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn erasing_a_customer_unlinks_it_and_leaves_no_personal_data_while_the_trail_verifies() {
    let app = spawn_app().await;
    // A first link goes to review (the partner held another date of birth) and the partner
    // rejects it with a reason that names the customer; then the details are fixed and a second
    // link becomes active.
    let wise = json!({"date_of_birth": DOB, "first_name": FIRST, "last_name": LAST});
    app.sim().seed(EMAIL, wise).await;
    put_canary(&app, "erase-1", "1961-07-24").await;
    let (reviewed, session) = started(&app, "erase-1").await;
    let code = app.sim().latest_code(EMAIL).await;
    let done = json(submit(&app, &reviewed, &session, &code).await).await;
    assert_eq!(done["state"], "needs_review", "{done}");
    let typed = format!("{FIRST} {LAST}: Wise has {DOB}, we hold 1961-07-24");
    let rejected = app.decide(&app.api_key, &reviewed, "reject", &typed).await;
    assert_eq!(rejected.status(), StatusCode::OK);
    put_canary(&app, "erase-1", DOB).await;
    let (id, session) = started(&app, "erase-1").await;
    let code = app.sim().latest_code(EMAIL).await;
    let done = json(submit(&app, &id, &session, &code).await).await;
    assert_eq!(done["state"], "active", "{done}");
    // Another customer, untouched by the erasure.
    let (other, _, _) = awaiting_code(&app, "keep-1", "keep.one@example.com", json!({})).await;
    let stored = "SELECT COUNT(*) AS n FROM idempotency_keys WHERE subject = 'customer:erase-1'";
    assert_eq!(
        app.count(stored).await,
        4,
        "the PUTs' and the starts' answers"
    );

    let response = erase(&app, "erase-1").await;
    assert_eq!(response.status(), StatusCode::OK);
    let erased = json(response).await;
    assert_eq!(erased["customer_ref"], "erase-1");
    assert_eq!(erased["link_ids"], json!([reviewed, id]));

    // The link stays readable as the record of what happened, without the Wise ids.
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["state"], "unlinked");
    assert_eq!(link["wise_user_id"], Value::Null);
    let events = app.get_json(&format!("/v1/links/{id}/events")).await;
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "unlinked");
    assert_eq!(
        last["reason"], "customer erased at the partner's request",
        "the erasure's own reason stays"
    );
    assert!(
        app.access_token(&id).await.status().is_client_error(),
        "no token is handed out for the erased link"
    );
    assert_eq!(
        app.count(stored).await,
        0,
        "stored answers about it are gone"
    );
    let gone = "SELECT COUNT(*) AS n FROM outbox o JOIN links l ON l.id = o.link_id \
                JOIN customers c ON c.id = l.customer_id WHERE c.customer_ref = 'erase-1'";
    assert_eq!(app.count(gone).await, 0, "its emails are gone");
    let other_link = app.get_json(&format!("/v1/links/{other}")).await;
    assert_eq!(
        other_link["state"], "awaiting_code",
        "another customer is untouched"
    );

    // Every row of every table (on SQLite the raw files, free pages and log included).
    let contents = database_contents(app.database());
    assert_absent(
        "the database after erasure",
        &contents,
        &[
            ("email", EMAIL),
            ("first name", FIRST),
            ("last name", LAST),
            ("date of birth", DOB),
            ("earlier date of birth", "1961-07-24"),
        ],
    );
    assert!(
        contents.contains("keep.one@example.com"),
        "the scan reads real rows"
    );

    sealed(&app).await;
    let (ok, out, err) = verify(&app);
    assert!(ok, "the audit trail verifies after erasure: {out}{err}");
    let audited = "SELECT COUNT(*) AS n FROM staff_audit \
                   WHERE username = 'customer:erase-1' AND event = 'customer_erased'";
    assert_eq!(
        app.count(audited).await,
        1,
        "who erased whom is on the trail"
    );
    // The rejection is still on the trail: who, what, when; the typed reason is now its digest.
    let events = app.get_json(&format!("/v1/links/{reviewed}/events")).await;
    let rejection = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["to_state"] == "rejected")
        .unwrap_or_else(|| panic!("{events}"));
    assert!(rejection["actor"].as_str().unwrap().starts_with("api_key:"));
    assert_eq!(rejection["reason"], Value::Null);
}

#[tokio::test]
async fn an_erased_customer_stays_erased_and_erasing_again_answers_the_first_erasure() {
    let app = spawn_app().await;
    let id = linked_canary(&app, "erase-2").await;
    let first = json(erase(&app, "erase-2").await).await;
    let again = erase(&app, "erase-2").await;
    assert_eq!(again.status(), StatusCode::OK);
    let again = json(again).await;
    assert_eq!(again["erased_at"], first["erased_at"]);
    assert_eq!(again["link_ids"], json!([id]));

    let read = problem(app.get_customer("erase-2").await).await;
    assert_eq!(read["code"], "customer_erased", "{read}");
    let put = app.put_customer("erase-2", &customer_body()).await;
    assert_eq!(put.status(), StatusCode::GONE);
    assert_eq!(problem(put).await["code"], "customer_erased");
    let start = app.start_link("erase-2").await;
    assert_eq!(start.status(), StatusCode::GONE);
    assert_eq!(problem(start).await["code"], "customer_erased");
    let erased = "SELECT COUNT(*) AS n FROM customers WHERE customer_ref = 'erase-2' \
                  AND email IS NULL AND erased_at IS NOT NULL";
    assert_eq!(app.count(erased).await, 1, "the PUT wrote nothing");

    let unknown = erase(&app, "nobody").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(unknown).await["code"], "customer_not_found");
    let malformed = erase(&app, "not%20valid").await;
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn erasure_tells_the_partner_through_the_event_feed() {
    let app = spawn_app().await;
    let id = linked_canary(&app, "erase-3").await;
    assert_eq!(erase(&app, "erase-3").await.status(), StatusCode::OK);
    // The feed numbers events as the webhook worker takes them up.
    let mut feed = Value::Null;
    for _ in 0..100 {
        feed = app.get_json("/v1/events").await;
        let heard = feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "link.unlinked" && e["data"]["link_id"] == json!(id));
        if heard {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("the partner never heard of the unlink: {feed}");
}
