//! Taking the customer's code: one exchange with Wise, whatever happens; wrong codes count down
//! to a lock; a session token reaches its own link only.

use crate::helpers::{
    awaiting_code, code_exchanges, customer, json, problem, spawn_app, start, submit,
};
use reqwest::StatusCode;
use serde_json::json;

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
