//! The simulated Wise pages: the authorize page and the email flow's code page.

use super::REDIRECT;
use crate::helpers::{registration_code, spawn_sim};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;

#[tokio::test]
async fn authorize_page_logs_in_denies_and_refuses_foreign_redirects() {
    let sim = spawn_sim().await;
    let user = sim.seed("page@example.com", json!({})).await;
    let url = sim
        .wise
        .authorize_url(&SecretString::from("abc".to_owned()), None)
        .unwrap();
    let page = sim.http.get(url.as_str()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Log in to connect your Wise account")
    );

    let post = |extra: Vec<(&'static str, &'static str)>| {
        let mut form = vec![
            ("client_id", "wiselink-dev"),
            ("redirect_uri", REDIRECT),
            ("state", "abc"),
        ];
        form.extend(extra);
        sim.http
            .post(sim.url("/oauth/authorize/"))
            .form(&form)
            .send()
    };
    let wrong = post(vec![
        ("email", "nobody@example.com"),
        ("password", "x"),
        ("decision", "allow"),
    ])
    .await
    .unwrap();
    assert_eq!(wrong.status(), StatusCode::OK);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Wrong email or password.")
    );

    let denied = post(vec![("decision", "deny")]).await.unwrap();
    let location = denied.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(REDIRECT)
            && location.contains("error=access_denied")
            && location.contains("state=abc"),
        "{location}"
    );

    let allowed = post(vec![
        ("email", "page@example.com"),
        ("password", "pw"),
        ("decision", "allow"),
    ])
    .await
    .unwrap();
    assert_eq!(allowed.status(), StatusCode::FOUND);
    let location = url::Url::parse(allowed.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(
        (q["state"].as_str(), q["profileId"].clone()),
        ("abc", user.profile_id.unwrap().to_string())
    );
    assert_eq!(q["code"].len(), 6);

    let foreign = sim
        .http
        .get(sim.url(
            "/oauth/authorize/?client_id=wiselink-dev&redirect_uri=https://evil.example/cb&state=x",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::BAD_REQUEST);
    assert!(foreign.headers().get("location").is_none());
}

#[tokio::test]
async fn email_link_page_shows_the_code_after_login() {
    let sim = spawn_sim().await;
    sim.seed("mail@example.com", json!({})).await;
    sim.wise
        .create_user("mail@example.com", &registration_code(), "EN", true)
        .await
        .unwrap();
    let mail = &sim.mailbox("mail@example.com").await[0];
    let code = mail["authorization_code"].as_str().unwrap();
    let link = mail["text"]
        .as_str()
        .unwrap()
        .lines()
        .find(|l| l.contains("/oauth/authorize/email/"))
        .unwrap()
        .trim()
        .to_owned();
    let path = &link[link.find("/oauth/").unwrap()..];
    assert_eq!(
        sim.http.get(sim.url(path)).send().await.unwrap().status(),
        StatusCode::OK
    );
    let shown = sim
        .http
        .post(sim.url(path))
        .form(&[
            ("email", "mail@example.com"),
            ("password", "pw"),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    let html = shown.text().await.unwrap();
    assert!(html.contains(&format!(">{code}<")), "{html}");
    let other = sim
        .http
        .post(sim.url(path))
        .form(&[
            ("email", "someone@example.com"),
            ("password", "pw"),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        !other.text().await.unwrap().contains(code),
        "only the addressee sees the code"
    );
}
