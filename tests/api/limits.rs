//! Limits beyond the five attempts of one code window: per client IP for apps and browsers, and
//! per customer across links.

use crate::helpers::{awaiting_code, code_exchanges, submit};
use crate::helpers::{json, problem, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// 429 `rate_limited`, to retry within the minute.
async fn ip_limited(r: reqwest::Response) {
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(problem(r).await["code"], "rate_limited");
}

#[tokio::test]
async fn session_callers_are_limited_per_ip_and_the_partner_is_not() {
    let app =
        spawn_app_with(&[("WISELINK__LIMITS__CODE_SUBMISSIONS_PER_IP_PER_MINUTE", "3")]).await;
    let (id, session, _) = awaiting_code(&app, "c-ip", "ip@example.com", json!({})).await;
    for _ in 0..3 {
        let r = submit(&app, &id, &session, "no!").await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "malformed, yet counted"
        );
    }
    ip_limited(submit(&app, &id, &session, "ABC123").await).await;
    let resend = app
        .client
        .post(app.url(&format!("/v1/links/{id}/resend")))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(resend).await["code"], "rate_limited");
    assert_eq!(code_exchanges(&app).await, 0, "nothing reached Wise");

    // The partner's backend (API key) is one IP for all its customers: not counted.
    let r = submit(&app, &id, &app.api_key, "no!").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn wrong_codes_are_limited_per_customer_across_links() {
    let app = spawn_app_with(&[("WISELINK__LIMITS__WRONG_CODES_PER_CUSTOMER_PER_DAY", "6")]).await;
    let (first, session, _) = awaiting_code(&app, "c-pc", "guess@example.com", json!({})).await;
    for n in 0..4 {
        let r = submit(&app, &first, &session, &format!("WRONG{n}")).await;
        assert_eq!(problem(r).await["code"], "invalid_code");
    }
    // A new link gives a new code window, but not new guesses for this customer.
    let unlinked = app
        .authed(Method::DELETE, &format!("/v1/links/{first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(unlinked.status(), StatusCode::OK);
    let second = json(
        app.authed(Method::POST, "/v1/links")
            .json(&json!({"customer_ref": "c-pc"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (id, session) = (
        second["id"].as_str().unwrap(),
        second["link_session_token"].as_str().unwrap(),
    );
    for n in 4..6 {
        let r = submit(&app, id, session, &format!("WRONG{n}")).await;
        assert_eq!(problem(r).await["code"], "invalid_code");
    }
    let exchanges = code_exchanges(&app).await;
    assert_eq!(exchanges, 6);
    let right = app.sim().latest_code("guess@example.com").await;
    let r = submit(&app, id, session, &right).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        retry_after > 23 * 3600 && retry_after <= 24 * 3600,
        "{retry_after}"
    );
    assert_eq!(problem(r).await["code"], "customer_rate_limited");
    assert_eq!(
        code_exchanges(&app).await,
        exchanges,
        "the code was not sent to Wise"
    );
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(
        (link["state"].as_str(), link["attempts_remaining"].as_i64()),
        (Some("awaiting_code"), Some(3)),
        "the link is untouched and can go on tomorrow"
    );
}

/// Behind a trusted proxy that appends to `X-Forwarded-For`, the client is the address the proxy
/// added: whatever a client writes to the left of it does not give it a fresh limit, and a client
/// talking to wiselink directly cannot claim any address at all.
#[tokio::test]
async fn the_per_ip_limit_counts_the_address_the_trusted_proxy_saw() {
    let cases = [
        ("behind a trusted proxy", "127.0.0.1/32", true),
        ("no trusted proxy", "", false),
    ];
    for (name, proxies, behind_proxy) in cases {
        let app = spawn_app_with(&[
            ("WISELINK__LIMITS__CODE_SUBMISSIONS_PER_IP_PER_MINUTE", "3"),
            ("WISELINK__LIMITS__TRUSTED_PROXIES", proxies),
        ])
        .await;
        let (id, session, _) = awaiting_code(&app, "c-xff", "xff@example.com", json!({})).await;
        let send = |forwarded: String| {
            app.client
                .post(app.url(&format!("/v1/links/{id}/code")))
                .bearer_auth(&session)
                .header("X-Forwarded-For", forwarded)
                .json(&json!({"code": "no!"}))
                .send()
        };
        // A forged left-most entry, new every time; the proxy's own entry stays the same.
        for n in 0..3 {
            let r = send(format!("10.0.0.{n}, 198.51.100.7")).await.unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        }
        let r = send("10.0.0.99, 198.51.100.7".into()).await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{name}");
        // Another client behind the proxy has its own count; without a trusted proxy the header
        // means nothing and the connection's address is already limited.
        let other = send("198.51.100.8".into()).await.unwrap();
        let expected = if behind_proxy {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(other.status(), expected, "{name}");
    }
}

/// A client that spreads its requests over the instances behind a proxy gets one limit: on
/// PostgreSQL the instances count together (here two on one database); SQLite serves one.
#[tokio::test]
async fn the_per_ip_limit_holds_across_the_instances_on_one_database() {
    let limit = [("WISELINK__LIMITS__CODE_SUBMISSIONS_PER_IP_PER_MINUTE", "4")];
    let app = spawn_app_with(&limit).await;
    let mut instances = vec![];
    if app.database().is_postgres() {
        instances.push(app.second_instance(&limit).await);
    }
    let (id, session, _) = awaiting_code(&app, "c-fleet", "fleet@example.com", json!({})).await;
    let every = || std::iter::once(&app).chain(instances.iter()).cycle();
    for instance in every().take(4) {
        let r = submit(instance, &id, &session, "no!").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    for instance in every().take(1 + instances.len()) {
        ip_limited(submit(instance, &id, &session, "no!").await).await;
    }
    // The window ends for the whole fleet at once.
    app.advance(chrono::Duration::seconds(61));
    let last = every().nth(instances.len()).unwrap();
    let r = submit(last, &id, &session, "no!").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
