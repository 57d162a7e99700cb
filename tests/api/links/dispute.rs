//! "This wasn't me": the "linked" email carries a one-time link; its page changes nothing until
//! the owner of the Wise account confirms from it, which unlinks into review
//! (`customer_disputed`), tells the partner, and works once.

use crate::helpers::{TestApp, awaiting_code, json, spawn_app, submit};
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// An active link for `email`: its id and the path of the "this wasn't me" page from the
/// "linked" email.
async fn linked(app: &TestApp, customer_ref: &str, email: &str) -> (String, String) {
    let (id, session, code) = awaiting_code(app, customer_ref, email, json!({})).await;
    let done = json(submit(app, &id, &session, &code).await).await;
    assert_eq!(done["state"], "active");
    let mail = app.mail.wait_for(email, 2).await;
    let text = &mail
        .iter()
        .find(|m| m.subject == "Your Wise account is linked")
        .unwrap()
        .text;
    let start = text.find("/dispute/wld_").expect("the dispute link");
    let path: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/_-".contains(*c))
        .collect();
    assert!(
        text.contains(&format!("http://127.0.0.1:8080{path}")),
        "{text}"
    );
    (id, path)
}

async fn page(app: &TestApp, method: Method, path: &str, site: &str) -> (StatusCode, String) {
    let r = app
        .client
        .request(method, app.url(path))
        .header("Sec-Fetch-Site", site)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn state(app: &TestApp, id: &str) -> serde_json::Value {
    app.get_json(&format!("/v1/links/{id}")).await
}

#[tokio::test]
async fn this_wasnt_me_unlinks_into_review_once_and_tells_the_partner() {
    let app = spawn_app().await;
    let (id, path) = linked(&app, "c-dispute", "not.me@example.com").await;

    // Opening the page (twice, as a mail scanner might) changes nothing.
    for _ in 0..2 {
        let (status, body) = page(&app, Method::GET, &path, "none").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("Did you link your Wise account to"), "{body}");
        assert!(body.contains("(not.me@example.com)"), "{body}");
        assert!(
            !body.contains("wld_"),
            "the token is not written into the page"
        );
    }
    // Another site's page cannot post it.
    let (status, body) = page(&app, Method::POST, &path, "cross-site").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(state(&app, &id).await["state"], "active");

    let (status, body) = page(&app, Method::POST, &path, "same-origin").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Your Wise account is unlinked"), "{body}");
    let link = state(&app, &id).await;
    assert_eq!(link["state"], "needs_review");
    assert_eq!(link["review_reason"], "customer_disputed");
    assert_eq!(link["reason"], "customer_disputed");
    let token = app
        .authed(Method::POST, &format!("/v1/links/{id}/access-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::CONFLICT, "no access any more");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM link_tokens WHERE access_token IS NULL AND refresh_token IS NULL")
            .await,
        1,
        "the tokens are destroyed"
    );
    assert!(
        app.event_names(&id)
            .await
            .contains(&"customer_disputed".to_owned())
    );
    // The partner hears it.
    let mut told = false;
    for _ in 0..100 {
        let feed = app.get_json("/v1/events?limit=100").await;
        told = feed["items"].as_array().unwrap().iter().any(|e| {
            e["type"] == "link.needs_review" && e["data"]["reason"] == "customer_disputed"
        });
        if told {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        told,
        "link.needs_review with reason customer_disputed in the feed"
    );

    // Once: a second confirmation changes nothing and says so.
    let (status, body) = page(&app, Method::POST, &path, "same-origin").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("You have already told us"), "{body}");
    let (status, body) = page(&app, Method::GET, &path, "none").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("You have already told us"), "{body}");

    // Staff cannot approve a link without tokens; they reject it.
    let approve = app
        .decide(&app.api_key, &id, "approve", "looked fine")
        .await;
    assert_eq!(approve.status(), StatusCode::CONFLICT);
    let reject = app
        .decide(&app.api_key, &id, "reject", "confirmed with the customer")
        .await;
    assert_eq!(reject.status(), StatusCode::OK);
    assert_eq!(state(&app, &id).await["state"], "rejected");
    let (_, body) = page(&app, Method::GET, &path, "none").await;
    assert!(body.contains("You have already told us"), "{body}");

    for unknown in [
        "/dispute/wld_unknown",
        "/dispute/not-a-token",
        &path.replace("wld_", "wld_x"),
    ] {
        let (status, body) = page(&app, Method::POST, unknown, "same-origin").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
        assert!(body.contains("This link is not valid"), "{body}");
    }
}

#[tokio::test]
async fn an_expired_or_ended_dispute_link_unlinks_nothing() {
    let app = spawn_app().await;
    let (id, path) = linked(&app, "c-late", "late.dispute@example.com").await;
    app.advance(Duration::days(31));
    let (status, body) = page(&app, Method::GET, &path, "none").await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("This link has expired"), "{body}");
    let (status, _) = page(&app, Method::POST, &path, "same-origin").await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(state(&app, &id).await["state"], "active");

    let (id, path) = linked(&app, "c-ended", "ended.dispute@example.com").await;
    let unlinked = app
        .authed(Method::DELETE, &format!("/v1/links/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(unlinked.status(), StatusCode::OK);
    let (status, body) = page(&app, Method::GET, &path, "none").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Your Wise account is not linked"), "{body}");
    let (status, _) = page(&app, Method::POST, &path, "same-origin").await;
    assert_eq!(status, StatusCode::CONFLICT);
    let link = state(&app, &id).await;
    assert_eq!(
        (link["state"].as_str(), link["reason"].as_str()),
        (Some("unlinked"), Some("unlinked"))
    );
}

#[tokio::test]
async fn the_page_speaks_the_customers_language() {
    let app = spawn_app().await;
    let mut body = crate::helpers::customer_body();
    body["email"] = json!("sprache@example.com");
    body["language"] = json!("de");
    assert_eq!(
        app.put_customer("c-de", &body).await.status(),
        StatusCode::CREATED
    );
    app.sim().seed("sprache@example.com", json!({})).await;
    let link = json(app.start_link("c-de").await).await;
    let (id, session) = (
        link["id"].as_str().unwrap(),
        link["link_session_token"].as_str().unwrap(),
    );
    let code = app.sim().latest_code("sprache@example.com").await;
    assert_eq!(
        json(submit(&app, id, session, &code).await).await["state"],
        "active"
    );
    let mail = app.mail.wait_for("sprache@example.com", 2).await;
    let linked = mail
        .iter()
        .find(|m| m.subject == "Ihr Wise-Konto ist verknüpft")
        .unwrap();
    let start = linked.text.find("/dispute/").unwrap();
    let path: String = linked.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/_-".contains(*c))
        .collect();
    let (status, page_body) = page(&app, Method::GET, &path, "none").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page_body.contains("<html lang=\"de\">"), "{page_body}");
    assert!(page_body.contains("Das war ich nicht"), "{page_body}");
    let (status, page_body) = page(&app, Method::GET, &format!("{path}?lang=es"), "none").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page_body.contains("No fui yo"), "{page_body}");
}
