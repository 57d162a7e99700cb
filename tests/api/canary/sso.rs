//! The canary scan for staff single sign-on: a sign-in at the provider, a form (re-checked with
//! the refresh token) and a sign-out through the real binary at TRACE, then every secret of it —
//! the client secret, the state, the code, the browser's sign-in secret, the session id and every
//! token the provider issued — is looked for in the logs, the pages and the database.

use super::probe::{assert_absent, database_contents, serve};
use crate::helpers::{
    OpenIdProvider, ProviderBrowser, TestDatabase, form_value, free_port, spawn_sim,
    stop_with_sigterm, wait_until_serving,
};
use crate::mail_sink::MailSink;
use reqwest::{Client, Response, StatusCode};
use serde_json::json;

/// The value `answer` sets for cookie `name`.
fn cookie(answer: &Response, name: &str) -> String {
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| v.to_str().unwrap().strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .expect("the cookie is set")
        .to_owned()
}

#[tokio::test]
async fn no_sign_in_secret_appears_in_logs_pages_or_the_database() {
    let database = TestDatabase::create();
    let (sim, sink) = (spawn_sim().await, MailSink::start());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = OpenIdProvider::start_for(
        json!({ "rita": { "groups": ["wiselink-reviewers"] } }),
        &base,
    );
    let log = tempfile::NamedTempFile::new().unwrap();
    let settings = provider.settings();
    let (mut child, _) = serve(database.url(), port, &sim, &sink, log.as_file(), &settings);
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    wait_until_serving(&client, &base).await;
    let mut pages = String::new();

    let started = client
        .get(format!("{base}/staff/sso/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let browser_secret = cookie(&started, "__Host-wiselink-staff-sso");
    let to = started.headers()["location"].to_str().unwrap().to_owned();
    let back = ProviderBrowser::default()
        .authorize(&provider, &to, "rita")
        .await;
    let query: std::collections::HashMap<_, _> = url::Url::parse(&back)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let signed_in = client
        .get(&back)
        .header(
            "Cookie",
            format!("__Host-wiselink-staff-sso={browser_secret}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);
    let session = cookie(&signed_in, "__Host-wiselink-staff");
    pages.push_str(&signed_in.text().await.unwrap());
    let with_session = format!("__Host-wiselink-staff={session}");
    let queue = client
        .get(format!("{base}/staff"))
        .header("Cookie", &with_session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(queue.contains("rita (reviewer)"));
    pages.push_str(&queue);
    // Signing out is a form: re-checked at the provider (a refresh), then revoked there.
    let csrf = form_value(&queue, "csrf");
    let out = client
        .post(format!("{base}/staff/logout"))
        .header("Cookie", &with_session)
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::OK);
    pages.push_str(&out.text().await.unwrap());
    stop_with_sigterm(&mut child).await;

    let provider_log = provider.log().await;
    let issued: Vec<&serde_json::Value> = provider_log
        .iter()
        .filter_map(|e| e.get("issued"))
        .collect();
    assert_eq!(issued.len(), 2, "a code grant and a refresh grant");
    let mut secrets: Vec<(String, String)> = vec![
        (
            "client secret".into(),
            crate::helpers::OIDC_CLIENT_SECRET.into(),
        ),
        ("state".into(), query["state"].clone()),
        ("authorization code".into(), query["code"].clone()),
        ("browser's sign-in secret".into(), browser_secret),
        ("session id".into(), session),
    ];
    for (i, tokens) in issued.iter().enumerate() {
        for kind in ["id_token", "access_token", "refresh_token"] {
            let token = tokens[kind].as_str().expect("issued").to_owned();
            secrets.push((format!("{kind} #{i}"), token));
        }
    }
    let secrets: Vec<(&str, &str)> = secrets
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let logs = std::fs::read_to_string(log.path()).unwrap();
    assert!(
        logs.contains("staff signed in at the identity provider"),
        "TRACE logs were written"
    );
    assert_absent("the logs", &logs, &secrets);
    assert_absent("the pages", &pages, &secrets);
    assert_absent("the database", &database_contents(&database), &secrets);
}
