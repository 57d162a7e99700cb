//! The canary scan: one whole linking flow through the real binary at TRACE, then every secret
//! that flow handled is looked for in the logs, the API responses, the emails and the database.

pub(crate) mod probe;
mod rotation;
mod sso;

use crate::helpers::{
    TestDatabase, cli_api_key, customer_body, free_port, key_secret, spawn_sim, stop_with_sigterm,
    wait_until_serving,
};
use crate::mail_sink::MailSink;
use probe::{
    access_token, assert_absent, call, database_contents, expire_access_token, sent, serve,
};
use reqwest::{Client, StatusCode};
use serde_json::json;

#[tokio::test]
async fn no_secret_appears_in_logs_responses_emails_or_the_database() {
    let database = TestDatabase::create();
    let sim = spawn_sim().await;
    let sink = MailSink::start();
    let db_url = database.url().to_owned();
    let api_key = cli_api_key(&db_url, "canary");
    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let (mut child, keys) = serve(&db_url, port, &sim, &sink, log.as_file(), &[]);
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::new();
    wait_until_serving(&client, &base).await;

    let email = "canary.linker@example.com";
    let dob = "1973-02-19";
    let mut seen = Vec::new();
    let mut body = customer_body();
    body["email"] = json!(email);
    body["date_of_birth"] = json!(dob);
    let api = |method: reqwest::Method, path: &str| {
        client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&api_key)
    };
    let (status, _) = call(
        &mut seen,
        api(reqwest::Method::PUT, "/v1/customers/canary").json(&body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // A webhook endpoint hears the whole flow. Its secret is in the one answer that shows it.
    let receiver = crate::webhook_receiver::Receiver::start().await;
    let mut secret_shown = Vec::new();
    let (status, endpoint) = call(
        &mut secret_shown,
        api(reqwest::Method::POST, "/v1/webhook-endpoints")
            .json(&json!({"url": receiver.url, "events": ["*"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let webhook_secret = endpoint["secret"].as_str().unwrap().to_owned();
    sim.seed(email, json!({"date_of_birth": dob})).await;
    let (status, link) = call(
        &mut seen,
        api(reqwest::Method::POST, "/v1/links").json(&json!({"customer_ref": "canary"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = link["id"].as_str().unwrap().to_owned();
    let session = link["link_session_token"].as_str().unwrap().to_owned();
    let code = sim.latest_code(email).await;
    let submit = |bearer: &str, code: &str| {
        client
            .post(format!("{base}/v1/links/{id}/code"))
            .bearer_auth(bearer)
            .json(&json!({"code": code}))
    };
    let wrong: String = code.chars().rev().collect();
    let (status, _) = call(&mut seen, submit(&session, &wrong)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The code-entry page as a browser uses it (the token in the path): read, a wrong code.
    let page_url = format!("{base}/link/{session}");
    let mut pages = Vec::new();
    let (status, _) = call(&mut pages, client.get(&page_url)).await;
    assert_eq!(status, StatusCode::OK);
    let typo = format!("{wrong}9");
    let (status, _) = call(&mut pages, client.post(&page_url).form(&[("code", &typo)])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, done) = call(&mut seen, submit(&session, &code)).await;
    assert_eq!(
        (status, done["state"].as_str()),
        (StatusCode::OK, Some("active"))
    );
    let (status, _) = call(&mut seen, submit(&session, &code)).await;
    assert_eq!(status, StatusCode::CONFLICT, "a used code is refused");
    receiver.wait_accepted(2).await;
    for path in [
        format!("/v1/links/{id}"),
        format!("/v1/links/{id}/events"),
        "/v1/links".into(),
        "/v1/events".into(),
        "/v1/webhook-deliveries".into(),
        "/v1/webhook-endpoints".into(),
    ] {
        let (status, _) = call(&mut seen, api(reqwest::Method::GET, &path)).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = call(
        &mut seen,
        client
            .get(format!("{base}/v1/links/{id}"))
            .bearer_auth(&session),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // The access-token endpoint is the one place a Wise token may appear: read it aside, then
    // make the token look expired so the next call refreshes it (and the refresh token shows
    // up in what the simulator received).
    let access_path = format!("{base}/v1/links/{id}/access-token");
    let first_access = access_token(&client, &access_path, &api_key).await;
    expire_access_token(&db_url, &id).await;
    let second_access = access_token(&client, &access_path, &api_key).await;
    assert_ne!(first_access, second_access, "the token was refreshed");
    let calls = sim.calls().await;
    let refresh_token = sent(&calls, "refresh_token", "refresh_token");
    let registration_code = sent(
        &calls,
        "/v1/user/signup/registration_code",
        "registrationCode",
    );
    let mail = sink.wait_for(email, 2).await;

    // A staff member signs in and reads the link: the staff pages and their session.
    let staff_password = "canary-otter-58-lantern";
    let added = crate::helpers::run_cli_with_stdin(
        &[
            "staff",
            "add",
            "canary",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &[("WISELINK__DATABASE__URL", db_url.as_str())],
        staff_password,
    );
    assert!(added.status.success());
    let no_redirects = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = no_redirects
        .post(format!("{base}/staff/login"))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("username", "canary"), ("password", staff_password)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        signed_in.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        String::from_utf8_lossy(&added.stderr)
    );
    let staff_session = crate::helpers::set_cookie_value(&signed_in).expect("a staff session");
    let mut staff_pages = Vec::new();
    for path in [
        "/staff".to_owned(),
        format!("/staff/links/{id}"),
        "/staff/admin".to_owned(),
        "/staff?state=rejected".to_owned(),
    ] {
        let (status, _) = call(
            &mut staff_pages,
            client
                .get(format!("{base}{path}"))
                .header("Cookie", format!("__Host-wiselink-staff={staff_session}")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }

    stop_with_sigterm(&mut child).await;

    let wise_secrets = [
        ("first access token", first_access.as_str()),
        ("refreshed access token", second_access.as_str()),
        ("refresh token", refresh_token.as_str()),
        ("authorization code", code.as_str()),
        ("registration code", registration_code.as_str()),
    ];
    let api_secret = key_secret(&api_key);
    let logs = std::fs::read_to_string(log.path()).unwrap();
    assert!(
        logs.contains("email delivered") && logs.contains("link verified"),
        "TRACE logs cover the flow"
    );
    let mut in_logs = wise_secrets.to_vec();
    in_logs.extend([
        ("link session token", session.as_str()),
        ("API key", api_secret),
        ("email", email),
        ("date of birth", dob),
    ]);
    in_logs.extend([
        ("staff session id", staff_session.as_str()),
        ("staff password", staff_password),
        ("webhook secret", webhook_secret.as_str()),
        ("sealing key", keys.crypto.as_str()),
        ("audit signing key", keys.audit.as_str()),
    ]);
    assert_absent("the logs", &logs, &in_logs);
    let deliveries: String = receiver
        .received()
        .iter()
        .map(|d| format!("{:?}\n{}", d.headers, d.body))
        .collect();
    assert!(deliveries.contains(&id), "the scan sees the deliveries");
    assert_absent("a webhook delivery", &deliveries, &in_logs);
    let mut in_staff_pages = wise_secrets.to_vec();
    in_staff_pages.extend([
        ("link session token", session.as_str()),
        ("API key", api_secret),
        ("staff session id", staff_session.as_str()),
        ("staff password", staff_password),
        ("webhook secret", webhook_secret.as_str()),
    ]);
    let staff_pages = staff_pages.join("\n");
    assert!(
        staff_pages.contains("canary.linker@example.com"),
        "the scan sees the staff pages"
    );
    assert_absent("a staff page", &staff_pages, &in_staff_pages);
    let mut in_responses = wise_secrets.to_vec();
    in_responses.push(("webhook secret", webhook_secret.as_str()));
    assert_absent("an API response", &seen.join("\n"), &in_responses);
    let mut in_pages = wise_secrets.to_vec();
    in_pages.push(("link session token", session.as_str()));
    assert_absent("a page", &pages.join("\n"), &in_pages);
    let emails: String = mail
        .iter()
        .map(|m| format!("{}\n{}\n{}", m.raw, m.text, m.html))
        .collect();
    let mut in_emails = wise_secrets.to_vec();
    in_emails.push(("API key", api_secret));
    assert_absent("an email", &emails, &in_emails);
    assert!(
        emails.contains(&session),
        "the finish-linking email is the session token's one channel"
    );
    let stored = database_contents(&database);
    assert!(stored.contains(email), "the scan sees the stored rows");
    let mut at_rest = wise_secrets.to_vec();
    at_rest.extend([
        ("link session token", session.as_str()),
        ("API key", api_secret),
        ("staff session id", staff_session.as_str()),
        ("staff password", staff_password),
        ("webhook secret", webhook_secret.as_str()),
        ("sealing key", keys.crypto.as_str()),
        ("audit signing key", keys.audit.as_str()),
        // Wise's side of the identity check is sealed: its JSON is never stored in the clear.
        ("Wise identity document", "\"profile_type\":\"personal\""),
    ]);
    assert_absent("the database", &stored, &at_rest);
}
