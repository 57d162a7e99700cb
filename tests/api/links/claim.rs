//! Claim account: a customer whose Wise account the partner created takes it over through Wise's
//! page with a 5-minute claim code; the link then holds authorization-code tokens and no
//! registration code.

use crate::helpers::{TestApp, customer, json, problem, spawn_app, start};
use reqwest::StatusCode;

async fn created_link(app: &TestApp, customer_ref: &str) -> String {
    customer(
        app,
        customer_ref,
        &format!("{customer_ref}@example.com"),
        None,
    )
    .await;
    let link = json(start(app, customer_ref).await).await;
    assert_eq!(link["origin"], "created", "{link}");
    link["id"].as_str().unwrap().to_owned()
}

async fn claim(app: &TestApp, id: &str) -> reqwest::Response {
    app.authed(reqwest::Method::POST, &format!("/v1/links/{id}/claim"))
        .send()
        .await
        .unwrap()
}

/// The customer confirms on the simulator's claim page; returns where it sends the browser.
async fn confirm_on_wise(app: &TestApp, to_wise: &url::Url) -> reqwest::Response {
    let mut form: Vec<(String, String)> = to_wise.query_pairs().into_owned().collect();
    form.push(("decision".into(), "allow".into()));
    app.sim()
        .http
        .post(app.sim().url("/oauth/authorize/"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The browser, sent back by Wise's page (`back`, a redirect), arrives at wiselink's callback.
async fn back_at_wiselink(app: &TestApp, back: reqwest::Response) -> reqwest::Response {
    assert!(back.status().is_redirection(), "{}", back.status());
    let back = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    app.client
        .get(app.url(&format!("/oauth/callback?{}", back.query().unwrap())))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_partner_created_customer_claims_the_account_and_the_registration_code_is_gone() {
    let app = spawn_app().await;
    let id = created_link(&app, "cl-1").await;
    let r = claim(&app, &id).await;
    assert_eq!(r.status(), StatusCode::OK);
    let trip = json(r).await;
    let url = url::Url::parse(trip["url"].as_str().unwrap()).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert!(query.contains_key("claim_account_code") && query.contains_key("state"));

    let r = back_at_wiselink(&app, confirm_on_wise(&app, &url).await).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/oauth/result?result=linked&lang=en"
    );

    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["state"], "active");
    assert!(link["claimed_at"].is_string(), "{link}");
    assert!(
        app.event_names(&id)
            .await
            .contains(&"account_claimed".to_owned())
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM links WHERE registration_code IS NULL AND claimed_at IS NOT NULL").await,
        1
    );
    let grants = |kind: &'static str| {
        let app = &app;
        async move {
            app.sim()
                .calls()
                .await
                .iter()
                .filter(|c| c["body"]["grant_type"] == kind)
                .count()
        }
    };
    assert_eq!(grants("authorization_code").await, 1);

    // Refreshes go on with the claimed account's tokens.
    app.advance(chrono::Duration::hours(12));
    let token = crate::tokens::token_of(&app, &id).await;
    assert!(crate::tokens::works_at_wise(&app, &token).await);
    assert_eq!(grants("registration_code").await, 1, "only the signup's");

    let r = claim(&app, &id).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem(r).await["code"], "not_claimable");
}

#[tokio::test]
async fn a_lapsed_claim_code_is_refused_by_wise_and_a_new_one_works() {
    let app = spawn_app().await;
    let id = created_link(&app, "cl-2").await;
    let first = json(claim(&app, &id).await).await;
    let first = url::Url::parse(first["url"].as_str().unwrap()).unwrap();
    app.advance(chrono::Duration::minutes(6));
    let page = app.sim().http.get(first.as_str()).send().await.unwrap();
    assert!(
        page.text().await.unwrap().contains("expired"),
        "Wise's page refuses a claim code older than 5 minutes"
    );
    let second = json(claim(&app, &id).await).await;
    let second = url::Url::parse(second["url"].as_str().unwrap()).unwrap();
    let r = back_at_wiselink(&app, confirm_on_wise(&app, &second).await).await;
    assert_eq!(
        r.headers()["location"],
        "/oauth/result?result=linked&lang=en"
    );

    // An existing (linked, not created) user has nothing to claim.
    let linked = crate::tokens::active_link(&app, "cl-3").await;
    assert_eq!(
        problem(claim(&app, &linked).await).await["code"],
        "not_claimable"
    );
}
