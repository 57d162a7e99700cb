//! The email-code linking flow end to end: wiselink over HTTP, the simulated Wise over HTTP, a
//! real database.

use crate::helpers::{TestApp, customer_body, field_codes, json, problem, spawn_app};
use reqwest::{Method, StatusCode};
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
    app.authed(Method::POST, "/v1/links")
        .json(&json!({"customer_ref": customer_ref}))
        .send()
        .await
        .unwrap()
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
    app.client
        .post(app.url(&format!("/v1/links/{link_id}/code")))
        .bearer_auth(bearer)
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap()
}

pub async fn code_exchanges(app: &TestApp) -> usize {
    app.sim()
        .calls()
        .await
        .iter()
        .filter(|c| c["body"]["grant_type"] == "authorization_code")
        .count()
}

#[tokio::test]
async fn existing_wise_user_links_through_the_api_with_a_matching_dob() {
    let app = spawn_app().await;
    customer(&app, "c-1", "ada@example.com", Some(json!({}))).await;
    let response = start(&app, "c-1").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let link = json(response).await;
    assert_eq!(link["state"], "awaiting_code");
    assert_eq!(link["origin"], "linked");
    assert_eq!(link["next_action"]["type"], "enter_code");
    assert_eq!(link["next_action"]["attempts_remaining"], 5);
    assert!(link["next_action"]["code_expires_at"].is_string());
    let session = link["link_session_token"].as_str().unwrap();
    assert!(session.starts_with("wls_") && session.len() >= 4 + 43);
    let id = link["id"].as_str().unwrap();

    let signup = app
        .sim()
        .calls()
        .await
        .into_iter()
        .find(|c| c["path"] == "/v1/user/signup/registration_code")
        .unwrap();
    assert_eq!(signup["body"]["sendAuthorizationCodeAsEmail"], true);
    assert!(signup["body"]["registrationCode"].as_str().unwrap().len() >= 32);

    // The app holds only the session token: it can read the link and submit the code.
    let read = app.get_as(session, &format!("/v1/links/{id}")).await;
    assert_eq!(read.status(), StatusCode::OK);
    assert!(
        json(read).await.get("link_session_token").is_none(),
        "the session token is shown once"
    );
    let code = app.sim().latest_code("ada@example.com").await;
    let typed = format!(" {}-{} ", &code[..3], &code[3..]);
    let done = submit(&app, id, session, &typed).await;
    assert_eq!(done.status(), StatusCode::OK);
    let done = json(done).await;
    assert_eq!(done["state"], "active");
    assert!(done["wise_user_id"].is_i64() && done["wise_profile_id"].is_i64());
    assert!(done["next_action"].is_null());

    let events = app.get_json(&format!("/v1/links/{id}/events")).await;
    let path: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to_state"].as_str().unwrap())
        .collect();
    assert_eq!(
        path,
        [
            "pending",
            "awaiting_code",
            "exchanging",
            "verifying",
            "active"
        ]
    );
    assert!(
        events[1]["wise_trace_id"].is_string(),
        "Wise's trace id is kept"
    );

    let token = app.access_token(id).await;
    assert_eq!(token.status(), StatusCode::OK);
    let token = json(token).await;
    assert_eq!(token["profile_id"], done["wise_profile_id"]);
    let me = app
        .sim()
        .http
        .get(app.sim().url("/v1/me"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        StatusCode::OK,
        "the handed-out token works at Wise"
    );

    let denied = app
        .client
        .post(app.url(&format!("/v1/links/{id}/access-token")))
        .bearer_auth(session)
        .send()
        .await
        .unwrap();
    assert_eq!(
        denied.status(),
        StatusCode::UNAUTHORIZED,
        "tokens never reach the app"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM customers WHERE wise_user_id IS NOT NULL")
            .await,
        1,
        "the Wise user is pinned"
    );
}

#[tokio::test]
async fn identity_doubts_go_to_review_and_accounts_without_a_profile_are_rejected() {
    let app = spawn_app().await;
    let cases = [
        (
            "dob",
            "dob@example.com",
            json!({"date_of_birth": "1985-01-01"}),
            "needs_review",
        ),
        (
            "nodob",
            "nodob@example.com",
            json!({"date_of_birth": null}),
            "needs_review",
        ),
        (
            "biz",
            "biz@example.com",
            json!({"business": true}),
            "needs_review",
        ),
        (
            "none",
            "none@example.com",
            json!({"profiles": []}),
            "rejected",
        ),
    ];
    for (customer_ref, email, wise, expected) in cases {
        let (id, session, code) = awaiting_code(&app, customer_ref, email, wise).await;
        let done = submit(&app, &id, &session, &code).await;
        assert_eq!(done.status(), StatusCode::OK, "{customer_ref}");
        assert_eq!(json(done).await["state"], expected, "{customer_ref}");
        let token = app.access_token(&id).await;
        assert_eq!(
            token.status(),
            StatusCode::CONFLICT,
            "{customer_ref}: no tokens for a link that is not active"
        );
        assert_eq!(problem(token).await["code"], "invalid_state");
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM links WHERE state = 'needs_review' AND access_token IS NOT NULL").await, 3, "tokens kept sealed for review");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM links WHERE state = 'rejected' AND access_token IS NOT NULL"
        )
        .await,
        0,
        "rejected links keep no tokens"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM customers WHERE wise_user_id IS NOT NULL")
            .await,
        0,
        "only verified links pin a Wise user"
    );
}

#[tokio::test]
async fn five_wrong_codes_lock_the_link() {
    let app = spawn_app().await;
    let (id, session, _) = awaiting_code(&app, "c-5", "five@example.com", json!({})).await;
    for left in (1..=4).rev() {
        let r = submit(&app, &id, &session, &format!("WRONG{left}")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let p = problem(r).await;
        assert_eq!(
            (p["code"].as_str(), p["attempts_remaining"].as_i64()),
            (Some("invalid_code"), Some(left))
        );
    }
    let r = submit(&app, &id, &session, "WRONG0").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(problem(r).await["code"], "locked");
    let before = code_exchanges(&app).await;
    let r = submit(&app, &id, &session, "ANOTHER").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        code_exchanges(&app).await,
        before,
        "a locked link sends nothing to Wise"
    );
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(
        (link["state"].as_str(), link["attempts_remaining"].as_i64()),
        (Some("locked"), Some(0))
    );
}

#[tokio::test]
async fn twenty_concurrent_submissions_make_exactly_one_exchange() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "c-20", "twenty@example.com", json!({})).await;
    let submissions = (0..20).map(|_| submit(&app, &id, &session, &code));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(submissions)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert_eq!(code_exchanges(&app).await, 1);
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["state"], "active");
}

#[tokio::test]
async fn a_lost_exchange_asks_for_a_new_code_and_never_replays_the_old_one() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "c-lost", "lost@example.com", json!({})).await;
    app.sim()
        .fault(json!({"endpoint": "/oauth/token", "drop_response": true}))
        .await;
    let r = submit(&app, &id, &session, &code).await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(problem(r).await["code"], "code_exchange_failed");
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["state"], "awaiting_code");
    let again = submit(&app, &id, &session, &code).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(again).await["code"], "code_already_used");
    let replays = app
        .sim()
        .calls()
        .await
        .iter()
        .filter(|c| c["body"]["code"] == code.as_str())
        .count();
    assert_eq!(replays, 1, "the code reached Wise once");
}

#[tokio::test]
async fn a_partner_created_wise_user_is_active_at_once() {
    let app = spawn_app().await;
    customer(&app, "c-new", "brand.new@example.com", None).await;
    let r = start(&app, "c-new").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let link = json(r).await;
    assert_eq!(
        (link["state"].as_str(), link["origin"].as_str()),
        (Some("active"), Some("created"))
    );
    assert!(link.get("link_session_token").is_none() && link["next_action"].is_null());
    let id = link["id"].as_str().unwrap();
    assert_eq!(app.access_token(id).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn starting_links_refuses_bad_input_and_a_second_live_link() {
    let app = spawn_app().await;
    let r = app
        .authed(Method::POST, "/v1/links")
        .json(&json!({"flow": "carrier_pigeon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let codes = field_codes(&problem(r).await);
    assert_eq!(
        codes,
        [
            ("customer_ref".to_owned(), "required".to_owned()),
            ("flow".to_owned(), "unknown_flow".to_owned())
        ]
    );
    let r = start(&app, "nobody").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(r).await["code"], "customer_not_found");

    awaiting_code(&app, "c-dup", "dup@example.com", json!({})).await;
    let r = start(&app, "c-dup").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem(r).await["code"], "link_exists");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM links").await, 1);
}

#[tokio::test]
async fn malformed_codes_are_refused_without_calling_wise() {
    let app = spawn_app().await;
    let (id, session, _) = awaiting_code(&app, "c-bad", "bad.code@example.com", json!({})).await;
    for bad in ["", "ab!", "x"] {
        let r = submit(&app, &id, &session, bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert_eq!(problem(r).await["code"], "validation_failed");
    }
    assert_eq!(code_exchanges(&app).await, 0);
}

#[tokio::test]
async fn a_session_token_reaches_its_own_link_only() {
    let app = spawn_app().await;
    let (first, session, _) = awaiting_code(&app, "c-a", "a@example.com", json!({})).await;
    let (second, _, _) = awaiting_code(&app, "c-b", "b@example.com", json!({})).await;
    let own = app.get_as(&session, &format!("/v1/links/{first}")).await;
    assert_eq!(own.status(), StatusCode::OK);
    let other = app.get_as(&session, &format!("/v1/links/{second}")).await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let events = app
        .get_as(&session, &format!("/v1/links/{first}/events"))
        .await;
    assert_eq!(
        events.status(),
        StatusCode::UNAUTHORIZED,
        "the audit trail is for the partner only"
    );
    let forged = app
        .get_as("wls_notarealtoken", &format!("/v1/links/{first}"))
        .await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wise_outage_during_signup_answers_503_and_leaves_the_link_pending() {
    let app = spawn_app().await;
    customer(&app, "c-503", "outage@example.com", Some(json!({}))).await;
    app.sim()
        .fault(json!({"endpoint": "/v1/user/signup/registration_code", "status": 503}))
        .await;
    let r = start(&app, "c-503").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(problem(r).await["code"], "wise_unavailable");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM links WHERE state = 'pending'")
            .await,
        1
    );
}

#[tokio::test]
async fn expired_access_tokens_are_refreshed_on_demand_and_revocation_means_relink() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "c-r", "refresh@example.com", json!({})).await;
    assert_eq!(
        json(submit(&app, &id, &session, &code).await).await["state"],
        "active"
    );
    let first = json(app.access_token(&id).await).await;
    app.advance(chrono::Duration::hours(12));
    let second = json(app.access_token(&id).await).await;
    assert_ne!(first["access_token"], second["access_token"]);
    let old = app
        .sim()
        .http
        .get(app.sim().url("/v1/me"))
        .bearer_auth(first["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.status(),
        StatusCode::UNAUTHORIZED,
        "Wise killed the previous token"
    );

    let user_id = app.get_json(&format!("/v1/links/{id}")).await["wise_user_id"]
        .as_i64()
        .unwrap();
    app.sim().user_action(user_id, "revoke", None).await;
    app.advance(chrono::Duration::hours(12));
    let r = app.access_token(&id).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem(r).await["code"], "relink_required");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM links WHERE state = 'relink_required' AND access_token IS NULL AND refresh_token IS NULL").await, 1);
}

/// The secret columns of a link row.
type SealedColumns = (
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

#[tokio::test]
async fn secrets_are_sealed_at_rest() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "c-s", "sealed@example.com", json!({})).await;
    submit(&app, &id, &session, &code).await;
    let token = json(app.access_token(&id).await).await;
    let access = token["access_token"].as_str().unwrap().to_owned();
    let registration = app
        .sim()
        .calls()
        .await
        .into_iter()
        .find(|c| c["path"] == "/v1/user/signup/registration_code")
        .unwrap()["body"]["registrationCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let db = app.db.clone();
    let rows: Vec<Vec<u8>> = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use wiselink::db::schema::links;
        let row: SealedColumns = links::table
            .select((
                links::registration_code,
                links::access_token,
                links::refresh_token,
                links::session_token_hash,
            ))
            .first(&mut **db.get().unwrap())
            .unwrap();
        vec![
            row.0.unwrap(),
            row.1.unwrap(),
            row.2.unwrap(),
            row.3.unwrap(),
        ]
    })
    .await
    .unwrap();
    for column in &rows {
        let text = String::from_utf8_lossy(column);
        for secret in [
            access.as_str(),
            registration.as_str(),
            session.as_str(),
            code.as_str(),
        ] {
            assert!(!text.contains(secret), "a secret is stored in plaintext");
        }
    }
}

#[tokio::test]
async fn unlinking_destroys_secrets_and_frees_the_customer_for_a_new_link() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "c-u", "unlink@example.com", json!({})).await;
    assert_eq!(
        json(submit(&app, &id, &session, &code).await).await["state"],
        "active"
    );
    let r = app
        .authed(Method::DELETE, &format!("/v1/links/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json(r).await["state"], "unlinked");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM links WHERE state = 'unlinked' AND access_token IS NULL AND refresh_token IS NULL AND registration_code IS NULL AND session_token_hash IS NULL").await,
        1
    );
    let token = app.access_token(&id).await;
    assert_eq!(token.status(), StatusCode::CONFLICT);
    let again = app
        .authed(Method::DELETE, &format!("/v1/links/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(problem(again).await["code"], "invalid_state");
    let by_session = app
        .client
        .delete(app.url(&format!("/v1/links/{id}")))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_session.status(),
        StatusCode::UNAUTHORIZED,
        "only the partner unlinks"
    );
    assert_eq!(
        start(&app, "c-u").await.status(),
        StatusCode::CREATED,
        "a new link may start"
    );
}

#[tokio::test]
async fn links_are_listed_newest_first_with_filters_and_cursor_pages() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (id, _, _) = awaiting_code(
            &app,
            &format!("c-l{i}"),
            &format!("list{i}@example.com"),
            json!({}),
        )
        .await;
        ids.push(id);
    }
    app.authed(Method::DELETE, &format!("/v1/links/{}", ids[0]))
        .send()
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/v1/links?limit=2".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = json(app.authed(Method::GET, &path).send().await.unwrap()).await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first, "every link once, newest first");

    let unlinked = app.get_json("/v1/links?state=unlinked").await;
    assert_eq!(unlinked["items"].as_array().unwrap().len(), 1);
    assert_eq!(unlinked["items"][0]["id"], ids[0].as_str());
    let one = app.get_json("/v1/links?customer_ref=c-l3").await;
    assert_eq!(one["items"][0]["customer_ref"], "c-l3");
    assert_eq!(one["items"].as_array().unwrap().len(), 1);

    let r = app
        .authed(
            Method::GET,
            "/v1/links?state=happy&limit=0&cursor=zzz&colour=red",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = field_codes(&problem(r).await)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, ["colour", "cursor", "limit", "state"]);
}

async fn resend(app: &TestApp, id: &str, bearer: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/links/{id}/resend")))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn resend_gets_a_new_code_from_wise_and_resets_the_attempts() {
    let app = spawn_app().await;
    let (id, session, _) = awaiting_code(&app, "c-rs", "resend@example.com", json!({})).await;
    for wrong in ["WRONG1", "WRONG2"] {
        submit(&app, &id, &session, wrong).await;
    }
    let early = resend(&app, &id, &session).await;
    assert_eq!(early.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = early.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(problem(early).await["code"], "resend_too_soon");
    assert_eq!(
        app.sim().mailbox("resend@example.com").await.len(),
        1,
        "no email for a refused resend"
    );

    app.advance(chrono::Duration::seconds(61));
    let r = resend(&app, &id, &session).await;
    assert_eq!(r.status(), StatusCode::OK);
    let link = json(r).await;
    assert_eq!(
        (link["state"].as_str(), link["attempts_remaining"].as_i64()),
        (Some("awaiting_code"), Some(5))
    );
    assert!(link["next_action"]["resend_available_at"].is_string());
    assert!(
        link.get("link_session_token").is_none(),
        "the app keeps its session"
    );
    let mails = app.sim().mailbox("resend@example.com").await;
    assert_eq!(mails.len(), 2, "Wise emailed a new code");
    let code = mails[1]["authorization_code"].as_str().unwrap();
    assert_eq!(
        json(submit(&app, &id, &session, code).await).await["state"],
        "active"
    );
    let after = resend(&app, &id, &session).await;
    assert_eq!(
        after.status(),
        StatusCode::CONFLICT,
        "an active link needs no code"
    );
}

#[tokio::test]
async fn at_most_five_resends_a_day() {
    let app = spawn_app().await;
    let (id, session, _) = awaiting_code(&app, "c-r5", "five.resends@example.com", json!({})).await;
    for n in 1..=5 {
        app.advance(chrono::Duration::seconds(61));
        assert_eq!(
            resend(&app, &id, &session).await.status(),
            StatusCode::OK,
            "resend {n}"
        );
    }
    app.advance(chrono::Duration::seconds(61));
    let sixth = resend(&app, &id, &session).await;
    assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = sixth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 23 * 3600, "until the day's window ends: {wait}");
    assert_eq!(problem(sixth).await["code"], "resend_limit_reached");
    assert_eq!(app.sim().mailbox("five.resends@example.com").await.len(), 6);
}
