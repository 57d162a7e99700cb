//! Erasure and retention: `DELETE /v1/customers/{ref}` unlinks and erases the customer's personal
//! data everywhere it lives, while the links, their events and the audit chain stay and verify;
//! the retention worker does the same for final links once their period has passed.

use crate::audit::{first_finding, sealed, verify};
use crate::canary::probe::{assert_absent, database_contents};
use crate::helpers::{
    TestApp, awaiting_code, customer_body, in_review, json, problem, spawn_app, submit,
};
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration as StdDuration;

const EMAIL: &str = "quentella.zyzzlewort@example.com";
const FIRST: &str = "Quentella";
const LAST: &str = "Zyzzlewort";
const DOB: &str = "1961-07-23";

/// A customer with the canary details and an active link; returns the link's id.
async fn linked_canary(app: &TestApp, customer_ref: &str) -> String {
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

async fn erase(app: &TestApp, customer_ref: &str) -> reqwest::Response {
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

#[tokio::test]
async fn retention_erases_final_links_past_the_period_and_leaves_the_rest() {
    let app = spawn_app().await;
    let ended = linked_canary(&app, "kept-1").await;
    let r = app
        .authed(Method::DELETE, &format!("/v1/links/{ended}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (live, _, _) = awaiting_code(&app, "kept-2", "kept.two@example.com", json!({})).await;
    let erased_links = "SELECT COUNT(*) AS n FROM links WHERE personal_data_erased_at IS NOT NULL";

    app.advance(Duration::days(89));
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    assert_eq!(app.count(erased_links).await, 0, "not before the period");

    app.advance(Duration::days(2));
    let mut erased = 0;
    for _ in 0..100 {
        erased = app.count(erased_links).await;
        if erased > 0 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(erased, 1, "the final link past retention, and only it");
    let scrubbed = "SELECT COUNT(*) AS n FROM links l JOIN link_reviews r ON r.link_id = l.id \
                    WHERE l.signup_email = '' AND l.wise_user_id IS NULL \
                    AND r.checked_partner_email IS NULL AND l.personal_data_erased_at IS NOT NULL";
    assert_eq!(app.count(scrubbed).await, 1);
    let link = app.get_json(&format!("/v1/links/{ended}")).await;
    assert_eq!(link["state"], "unlinked", "the record stays");
    let live = app.get_json(&format!("/v1/links/{live}")).await;
    assert_eq!(live["state"], "awaiting_code");
    // The customer is the partner's until it erases them; stored answers went with their period.
    let customer = json(app.get_customer("kept-1").await).await;
    assert_eq!(customer["email"], EMAIL);
    let answers = "SELECT COUNT(*) AS n FROM idempotency_keys";
    assert_eq!(
        app.count(answers).await,
        0,
        "idempotency.retention_hours passed too"
    );
    sealed(&app).await;
    let (ok, out, err) = verify(&app);
    assert!(ok, "{out}{err}");
}

/// Blanking a typed reason in SQL with a digest that is not the reason's: PostgreSQL's trigger
/// refuses it; SQLite's cannot compute SHA-256, so it lets it through and `audit verify` names
/// the row.
#[tokio::test]
async fn a_reason_blanked_in_sql_under_a_made_up_digest_does_not_pass() {
    let app = spawn_app().await;
    let id = in_review(&app, "forge-1").await;
    let rejected = app
        .decide(&app.api_key, &id, "reject", "the photo does not match")
        .await;
    assert_eq!(rejected.status(), StatusCode::OK);
    sealed(&app).await;
    let blanked = if app.database().is_postgres() {
        app.execute(
            "UPDATE link_events SET reason = NULL, erased = '\\x040000000000000000000000000000000000000000000000000000000000000000'::bytea \
             WHERE reason = 'the photo does not match'",
        )
        .await
    } else {
        app.execute(
            "UPDATE link_events SET reason = NULL, erased = x'040000000000000000000000000000000000000000000000000000000000000000' \
             WHERE reason = 'the photo does not match'",
        )
        .await
    };
    if app.database().is_postgres() {
        assert!(blanked.is_err(), "the trigger checks the digest");
        let (ok, out, err) = verify(&app);
        assert!(ok, "{out}{err}");
    } else {
        assert_eq!(blanked.unwrap(), 1);
        let finding = first_finding(&app);
        assert!(finding.starts_with("link_events #"), "{finding}");
    }
}

/// Starts racing an erasure, through two instances on one database: whichever comes first, an
/// erased customer is left with no live link and no personal data on any link.
#[tokio::test]
async fn a_start_racing_the_erasure_never_leaves_a_live_link_for_an_erased_customer() {
    let app = spawn_app().await;
    let other = app.second_instance(&[]).await;
    let refs: Vec<String> = (0..12).map(|i| format!("race-{i}")).collect();
    for r in &refs {
        let mut body = customer_body();
        body["email"] = json!(format!("{r}@example.com"));
        assert_eq!(
            app.put_customer(r, &body).await.status(),
            StatusCode::CREATED
        );
        app.sim().seed(&format!("{r}@example.com"), json!({})).await;
    }
    let races = refs.iter().enumerate().map(|(i, r)| {
        let (starter, eraser) = if i % 2 == 0 {
            (&app, &other)
        } else {
            (&other, &app)
        };
        async move {
            let (started, erased) = tokio::join!(starter.start_link(r), async {
                let mut answer = erase(eraser, r).await;
                // A link mid-way through its start is busy for a moment; the partner retries.
                for _ in 0..50 {
                    if answer.status() != StatusCode::CONFLICT {
                        break;
                    }
                    tokio::time::sleep(StdDuration::from_millis(50)).await;
                    answer = erase(eraser, r).await;
                }
                answer
            });
            assert_eq!(erased.status(), StatusCode::OK, "{r}");
            let s = started.status();
            assert!(
                [StatusCode::CREATED, StatusCode::GONE, StatusCode::CONFLICT].contains(&s),
                "{r}: the start answered {s}"
            );
        }
    });
    futures_util::future::join_all(races).await;
    let live = "SELECT COUNT(*) AS n FROM links l JOIN customers c ON c.id = l.customer_id \
                WHERE c.erased_at IS NOT NULL \
                AND l.state NOT IN ('rejected', 'unlinked', 'expired')";
    assert_eq!(
        app.count(live).await,
        0,
        "no live link for an erased customer"
    );
    let kept = "SELECT COUNT(*) AS n FROM links l JOIN customers c ON c.id = l.customer_id \
                WHERE c.erased_at IS NOT NULL AND (l.signup_email <> '' OR l.personal_data_erased_at IS NULL)";
    assert_eq!(
        app.count(kept).await,
        0,
        "no link of an erased customer keeps personal data"
    );
    let erased = "SELECT COUNT(*) AS n FROM customers WHERE erased_at IS NOT NULL";
    assert_eq!(app.count(erased).await, 12);
}
