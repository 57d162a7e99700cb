//! The redirect flow over HTTP: start, Wise's authorization page (the simulator's), the callback,
//! the native-app return; every refused state costs no call to Wise.

use crate::helpers::{TestApp, customer, json, problem, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A redirect-flow link for an existing Wise user: (link id, session token, Wise's URL).
pub(super) async fn redirect_link(app: &TestApp, customer_ref: &str) -> (String, String, url::Url) {
    let email = format!("{customer_ref}@example.com");
    customer(app, customer_ref, &email, Some(json!({}))).await;
    let r = app
        .authed(reqwest::Method::POST, "/v1/links")
        .json(&json!({"customer_ref": customer_ref, "flow": "redirect"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let link = json(r).await;
    assert_eq!(link["state"], "awaiting_authorization", "{link}");
    assert_eq!(link["flow"], "redirect");
    assert_eq!(link["next_action"]["type"], "redirect");
    let url = url::Url::parse(link["next_action"]["url"].as_str().unwrap()).unwrap();
    (
        link["id"].as_str().unwrap().to_owned(),
        link["link_session_token"].as_str().unwrap().to_owned(),
        url,
    )
}

pub(super) fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The customer logs in on the simulator's page and allows (or denies): returns the URL Wise's
/// page sends the browser back to.
pub(super) async fn on_wise_page(
    app: &TestApp,
    to_wise: &url::Url,
    email: &str,
    decision: &str,
) -> url::Url {
    let mut form: Vec<(String, String)> = to_wise.query_pairs().into_owned().collect();
    form.push(("email".into(), email.into()));
    form.push(("password".into(), "correct horse".into()));
    form.push(("decision".into(), decision.into()));
    let r = app
        .sim()
        .http
        .post(app.sim().url("/oauth/authorize/"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap()
}

/// The browser arrives at wiselink's callback with what Wise's page gave it.
pub(super) async fn callback(
    app: &TestApp,
    back: &url::Url,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url(&format!("/oauth/callback?{}", back.query().unwrap_or(""))));
    if let Some(c) = cookie {
        req = req.header("Cookie", format!("__Host-wiselink-authorize={c}"));
    }
    req.send().await.unwrap()
}

pub(super) async fn token_calls(app: &TestApp) -> usize {
    app.sim().calls_to("/oauth/token").await
}

#[tokio::test]
async fn the_round_trip_through_wises_page_links_the_customer() {
    let app = spawn_app().await;
    let (id, _, url) = redirect_link(&app, "rd-1").await;
    assert_eq!(param(&url, "client_id").as_deref(), Some("wiselink-dev"));
    assert_eq!(
        param(&url, "redirect_uri"),
        Some(app.sim().settings.wise.redirect_uri.clone())
    );
    assert!(param(&url, "state").unwrap().len() >= 43, "256-bit state");
    assert_eq!(
        param(&url, "claim_account_code"),
        None,
        "an existing user claims nothing"
    );
    assert!(
        app.sim().mailbox("rd-1@example.com").await.is_empty(),
        "no code email in the redirect flow"
    );

    let back = on_wise_page(&app, &url, "rd-1@example.com", "allow").await;
    let before = token_calls(&app).await;
    let r = callback(&app, &back, None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/oauth/result?result=linked&lang=en");
    assert_eq!(token_calls(&app).await, before + 1, "one exchange");
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "active"
    );
    let page = app.client.get(app.url(&location)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Your Wise account is linked")
    );

    // The same return again: the state is spent, nothing reaches Wise.
    let again = callback(&app, &back, None).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(token_calls(&app).await, before + 1);
}

#[tokio::test]
async fn refused_states_never_reach_wise() {
    let app = spawn_app().await;
    let (id, _, url) = redirect_link(&app, "rd-2").await;
    let back = on_wise_page(&app, &url, "rd-2@example.com", "allow").await;
    let code = param(&back, "code").unwrap();
    let calls = token_calls(&app).await;
    let with = |pairs: &[(&str, &str)]| {
        let mut u = url::Url::parse("http://x/").unwrap();
        u.query_pairs_mut().extend_pairs(pairs);
        u
    };
    // Missing, forged.
    for (pairs, status) in [
        (vec![("code", code.as_str())], StatusCode::BAD_REQUEST),
        (
            vec![("code", code.as_str()), ("state", "forged-state-value")],
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![("code", code.as_str()), ("state", "")],
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = callback(&app, &with(&pairs), None).await;
        assert_eq!(r.status(), status);
        assert!(r.text().await.unwrap().contains("This link did not work"));
    }
    // Expired: ten minutes and a second later.
    app.advance(chrono::Duration::seconds(601));
    let r = callback(&app, &back, None).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(
        token_calls(&app).await,
        calls,
        "no call to Wise for a refused state"
    );
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "awaiting_authorization"
    );
}

#[tokio::test]
async fn a_state_started_on_wiselinks_page_only_comes_back_in_that_browser() {
    let app = spawn_app().await;
    let (id, session, _) = redirect_link(&app, "rd-3").await;
    let page = app
        .client
        .get(app.url(&format!("/link/{session}")))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Continue to Wise"));
    let r = app
        .client
        .post(app.url(&format!("/link/{session}")))
        .form(&[("action", "continue")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("__Host-wiselink-authorize="));
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie
        .trim_start_matches("__Host-wiselink-authorize=")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let to_wise = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let back = on_wise_page(&app, &to_wise, "rd-3@example.com", "allow").await;
    let calls = token_calls(&app).await;
    for wrong in [None, Some("another-browsers-cookie")] {
        let r = callback(&app, &back, wrong).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "cookie {wrong:?}");
    }
    assert_eq!(token_calls(&app).await, calls);
    let r = callback(&app, &back, Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().contains("Max-Age=0")),
        "the binding cookie is cleared"
    );
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "active"
    );
}

#[tokio::test]
async fn declining_on_wises_page_leaves_the_link_to_be_tried_again() {
    let app = spawn_app_with(&[(
        "WISELINK__LINKS__RETURN_URLS",
        "https://bank.example/wise/done",
    )])
    .await;
    let email = "rd-4@example.com";
    customer(&app, "rd-4", email, Some(json!({}))).await;
    let start = |body: Value| {
        app.authed(reqwest::Method::POST, "/v1/links")
            .json(&body)
            .send()
    };
    let r = start(
        json!({"customer_ref": "rd-4", "flow": "redirect", "return_url": "https://evil.example/"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem(r).await["errors"][0]["code"],
        "return_url_not_allowed"
    );
    let r = start(json!({"customer_ref": "rd-4", "return_url": "https://bank.example/wise/done"}))
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "return_url needs the redirect flow"
    );
    let link = json(
        start(json!({"customer_ref": "rd-4", "flow": "redirect", "return_url": "https://bank.example/wise/done"}))
            .await
            .unwrap(),
    )
    .await;
    let id = link["id"].as_str().unwrap().to_owned();
    let url = url::Url::parse(link["next_action"]["url"].as_str().unwrap()).unwrap();

    let back = on_wise_page(&app, &url, email, "deny").await;
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    let r = callback(&app, &back, None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.host_str(), Some("bank.example"));
    assert_eq!(param(&location, "result").as_deref(), Some("declined"));
    assert_eq!(param(&location, "link_id").as_deref(), Some(id.as_str()));
    assert_eq!(
        param(&location, "state"),
        None,
        "no state in the return URL"
    );
    assert_eq!(param(&location, "code"), None);
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["state"], "awaiting_authorization", "restartable");
    assert!(
        app.event_names(&id)
            .await
            .contains(&"authorization_declined".to_owned())
    );
    assert_eq!(
        token_calls(&app).await,
        1,
        "only the client-credentials token"
    );
}

#[tokio::test]
async fn a_native_app_forwards_the_code_and_state_for_its_own_link() {
    let app = spawn_app().await;
    let (id, session, url) = redirect_link(&app, "rd-5").await;
    let (other, _, other_url) = redirect_link(&app, "rd-6").await;
    let back = on_wise_page(&app, &url, "rd-5@example.com", "allow").await;
    let forward = |link: &str, body: Value| {
        app.client
            .post(app.url(&format!("/v1/links/{link}/authorization")))
            .bearer_auth(&session)
            .json(&body)
            .send()
    };
    let code = param(&back, "code").unwrap();
    let state = param(&back, "state").unwrap();
    let calls = token_calls(&app).await;
    // Another link's state, under this link.
    let foreign = param(&other_url, "state").unwrap();
    let r = forward(&id, json!({"code": code, "state": foreign}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(r).await["code"], "state_foreign");
    // This session cannot act on the other link at all.
    let r = forward(&other, json!({"code": code, "state": state}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(token_calls(&app).await, calls);

    let r = forward(
        &id,
        json!({"code": code, "state": state, "profile_id": param(&back, "profileId")}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json(r).await["state"], "active");
    let r = forward(&id, json!({"code": code, "state": state}))
        .await
        .unwrap();
    assert_eq!(problem(r).await["code"], "state_used");
}
