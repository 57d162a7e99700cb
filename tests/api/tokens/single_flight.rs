//! However many callers ask at once, on however many instances, a due link is refreshed once and
//! every caller gets the token Wise holds live.

use super::{active_link, refreshes, works_at_wise};
use crate::helpers::{json, problem, spawn_app};
use reqwest::StatusCode;
use std::collections::HashSet;

#[tokio::test]
async fn fifty_concurrent_callers_make_one_refresh_and_get_the_live_token() {
    let app = spawn_app().await;
    let id = active_link(&app, "sf-1").await;
    app.advance(chrono::Duration::hours(12));
    let answers = futures_util::future::join_all((0..50).map(|_| app.access_token(&id))).await;
    let mut tokens = HashSet::new();
    for r in answers {
        assert_eq!(r.status(), StatusCode::OK);
        tokens.insert(json(r).await["access_token"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        refreshes(&app).await.len(),
        1,
        "one refresh for fifty callers"
    );
    assert_eq!(tokens.len(), 1, "every caller got the same, new token");
    assert!(works_at_wise(&app, tokens.iter().next().unwrap()).await);
}

#[tokio::test]
async fn two_instances_on_one_database_refresh_a_due_link_once() {
    let first = spawn_app().await;
    let second = first.second_instance(&[]).await;
    let id = active_link(&first, "sf-2").await;
    for window in 1..=4 {
        first.advance(chrono::Duration::hours(12));
        let calls = (0..12).map(|i| {
            let app = if i % 2 == 0 { &first } else { &second };
            app.access_token(&id)
        });
        let answers = futures_util::future::join_all(calls).await;
        let mut tokens = HashSet::new();
        for r in answers {
            assert_eq!(r.status(), StatusCode::OK);
            tokens.insert(json(r).await["access_token"].as_str().unwrap().to_owned());
        }
        assert_eq!(
            refreshes(&first).await.len(),
            window,
            "window {window}: one refresh across both instances"
        );
        assert_eq!(tokens.len(), 1, "every caller got the renewed token");
        for token in &tokens {
            assert!(
                works_at_wise(&first, token).await,
                "no caller got a token Wise had already killed"
            );
        }
    }
}

#[tokio::test]
async fn callers_waiting_on_a_refresh_wise_refuses_all_hear_relink_required_and_one_email_goes() {
    let app = spawn_app().await;
    let id = active_link(&app, "sf-3").await;
    let user = app.get_json(&format!("/v1/links/{id}")).await["wise_user_id"]
        .as_i64()
        .unwrap();
    app.sim().user_action(user, "revoke", None).await;
    app.advance(chrono::Duration::hours(12));
    app.sim()
        .fault(serde_json::json!({"endpoint": "/oauth/token", "latency_ms": 1000}))
        .await;
    let answers = futures_util::future::join_all((0..6).map(|_| app.access_token(&id))).await;
    for r in answers {
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert_eq!(problem(r).await["code"], "relink_required");
    }
    assert_eq!(refreshes(&app).await.len(), 1);
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["state"], "relink_required");
    let events = app.event_names(&id).await;
    assert_eq!(
        events.iter().filter(|e| *e == "access_revoked").count(),
        1,
        "{events:?}"
    );
    let mail = app.mail.wait_for("sf-3@example.com", 3).await;
    let reconnect: Vec<_> = mail
        .iter()
        .filter(|m| m.subject == "Reconnect your Wise account")
        .collect();
    assert_eq!(
        reconnect.len(),
        1,
        "one email asks the customer to reconnect"
    );
    // Every request has been answered, and a reconnect email is queued in the same transaction
    // as the state change it follows: no later one can still be on its way.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'reconnect'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM links JOIN link_tokens t ON t.link_id = links.id WHERE access_token IS NULL AND refresh_token IS NULL AND registration_code IS NULL").await, 1);
}
