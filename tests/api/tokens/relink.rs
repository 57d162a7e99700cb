//! Re-linking in place after Wise revoked access (or an unlink): same id and history, a new
//! signup with either flow, and the pinned Wise user still checked.

use super::active_link;
use crate::helpers::{json, problem, spawn_app, submit};
use reqwest::StatusCode;
use serde_json::json;

async fn relink(
    app: &crate::helpers::TestApp,
    id: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    app.authed(reqwest::Method::POST, &format!("/v1/links/{id}/relink"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn revoked(app: &crate::helpers::TestApp, id: &str) {
    let user = app.get_json(&format!("/v1/links/{id}")).await["wise_user_id"]
        .as_i64()
        .unwrap();
    app.sim().user_action(user, "revoke", None).await;
    app.advance(chrono::Duration::hours(12));
    let r = app.access_token(id).await;
    assert_eq!(problem(r).await["code"], "relink_required");
}

#[tokio::test]
async fn a_revoked_link_is_relinked_in_place_by_email_code_and_keeps_its_history() {
    let app = spawn_app().await;
    let id = active_link(&app, "rl-1").await;
    let r = relink(&app, &id, json!({})).await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "an active link needs no re-link"
    );
    revoked(&app, &id).await;

    let r = relink(&app, &id, json!({"flow": "email_code"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let link = json(r).await;
    assert_eq!(link["id"], id.as_str(), "same link");
    assert_eq!(link["state"], "awaiting_code");
    let session = link["link_session_token"].as_str().unwrap().to_owned();
    let code = app.sim().latest_code("rl-1@example.com").await;
    let done = json(submit(&app, &id, &session, &code).await).await;
    assert_eq!(done["state"], "active");
    let token = super::token_of(&app, &id).await;
    assert!(super::works_at_wise(&app, &token).await);
    let events = app.event_names(&id).await;
    for expected in ["identity_matched", "access_revoked", "relink_started"] {
        assert!(events.contains(&expected.to_owned()), "{events:?}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM links").await,
        1,
        "no second link"
    );
}

#[tokio::test]
async fn a_relink_to_another_wise_account_goes_to_review_and_redirect_works_from_unlinked() {
    let app = spawn_app().await;
    let id = active_link(&app, "rl-2").await;
    revoked(&app, &id).await;
    // The customer now gives another email, which belongs to another Wise account.
    let mut body = crate::helpers::customer_body();
    body["email"] = json!("rl-2.other@example.com");
    assert_eq!(
        app.put_customer("rl-2", &body).await.status(),
        StatusCode::OK
    );
    app.sim().seed("rl-2.other@example.com", json!({})).await;
    let link = json(relink(&app, &id, json!({})).await).await;
    let session = link["link_session_token"].as_str().unwrap().to_owned();
    let code = app.sim().latest_code("rl-2.other@example.com").await;
    let done = json(submit(&app, &id, &session, &code).await).await;
    assert_eq!(done["state"], "needs_review");
    assert_eq!(done["review_reason"], "different_wise_user");

    // Unlinked, then re-linked with the redirect flow.
    let other = active_link(&app, "rl-3").await;
    let r = app
        .authed(reqwest::Method::DELETE, &format!("/v1/links/{other}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let link = json(relink(&app, &other, json!({"flow": "redirect"})).await).await;
    assert_eq!(link["state"], "awaiting_authorization");
    assert!(
        link["next_action"]["url"]
            .as_str()
            .unwrap()
            .contains("state=")
    );
}

#[tokio::test]
async fn a_link_that_must_be_relinked_keeps_no_failing_refresh() {
    let app = spawn_app().await;
    let id = active_link(&app, "rl-failing").await;
    // Refreshes had been failing for days when Wise revoked access.
    app.execute(
        "UPDATE link_tokens SET refresh_failures = 7, \
         refresh_failing_since = (SELECT created_at FROM links WHERE links.id = link_id), \
         refresh_flagged_at = (SELECT created_at FROM links WHERE links.id = link_id)",
    )
    .await
    .unwrap();
    revoked(&app, &id).await;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM links JOIN link_tokens t ON t.link_id = links.id WHERE state = 'relink_required' \
             AND refresh_failures = 0 AND refresh_failing_since IS NULL \
             AND refresh_flagged_at IS NULL"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_database_keeps_an_active_links_tokens_whichever_table_is_written() {
    let app = spawn_app().await;
    let id = active_link(&app, "rl-kept").await;
    // Tokens live beside the link (`link_tokens`): taking them away from an active link is
    // refused there too, not only a state change without them.
    assert!(
        app.execute("UPDATE link_tokens SET access_token = NULL")
            .await
            .is_err()
    );
    assert!(
        app.execute("UPDATE link_tokens SET refresh_token = NULL")
            .await
            .is_err()
    );
    // The link still works as before.
    assert_eq!(app.access_token(&id).await.status(), StatusCode::OK);
    // Once it has left `active`, its tokens are wiped with the same rules.
    revoked(&app, &id).await;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM links JOIN link_tokens t ON t.link_id = links.id \
             WHERE state = 'relink_required' AND access_token IS NULL AND refresh_token IS NULL"
        )
        .await,
        1
    );
}
