//! Erasure through the real binary at TRACE: after a customer went through a whole flow, a
//! review and an erasure, neither the logs nor the database (SQLite's raw files included) hold
//! the customer's email, names or date of birth.

use crate::canary::probe::{assert_absent, call, database_contents, serve};
use crate::helpers::{
    TestDatabase, cli_api_key, customer_body, free_port, spawn_sim, stop_with_sigterm,
    wait_until_serving,
};
use crate::mail_sink::MailSink;
use reqwest::{Client, Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_real_binary_logs_nothing_of_an_erased_customer_and_keeps_nothing_of_it() {
    let database = TestDatabase::create();
    let sim = spawn_sim().await;
    let sink = MailSink::start();
    let db_url = database.url().to_owned();
    let api_key = cli_api_key(&db_url, "erasure");
    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let (mut child, _keys) = serve(&db_url, port, &sim, &sink, log.as_file(), &[]);
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::new();
    wait_until_serving(&client, &base).await;
    let api = |method: Method, path: &str| {
        client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&api_key)
    };
    let mut seen = Vec::new();

    let (email, first, last, dob) = (
        "ottoline.quarm@example.com",
        "Ottoline",
        "Quarmby",
        "1958-03-29",
    );
    let mut body = customer_body();
    for (field, value) in [("email", email), ("first_name", first), ("last_name", last)] {
        body[field] = json!(value);
    }
    // The partner holds another date of birth first: the link goes to review and is rejected with
    // a reason that names the customer.
    body["date_of_birth"] = json!("1958-03-28");
    let (status, _) = call(
        &mut seen,
        api(Method::PUT, "/v1/customers/erase-bin").json(&body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    sim.seed(
        email,
        json!({"date_of_birth": dob, "first_name": first, "last_name": last}),
    )
    .await;
    let start = json!({"customer_ref": "erase-bin"});
    let (status, link) = call(&mut seen, api(Method::POST, "/v1/links").json(&start)).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = link["id"].as_str().unwrap().to_owned();
    let session = link["link_session_token"].as_str().unwrap().to_owned();
    let code = sim.latest_code(email).await;
    let submit = client
        .post(format!("{base}/v1/links/{id}/code"))
        .bearer_auth(&session)
        .json(&json!({"code": code}));
    let (status, done) = call(&mut seen, submit).await;
    assert_eq!(
        (status, done["state"].as_str()),
        (StatusCode::OK, Some("needs_review"))
    );
    let reason = json!({"reason": format!("{first} {last}: Wise has {dob}")});
    let (status, _) = call(
        &mut seen,
        api(Method::POST, &format!("/v1/links/{id}/reject")).json(&reason),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, erased) = call(&mut seen, api(Method::DELETE, "/v1/customers/erase-bin")).await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    let (status, _) = call(&mut seen, api(Method::GET, "/v1/customers/erase-bin")).await;
    assert_eq!(status, StatusCode::GONE);
    stop_with_sigterm(&mut child).await;

    let personal = [
        ("email", email),
        ("first name", first),
        ("last name", last),
        ("date of birth", dob),
        ("earlier date of birth", "1958-03-28"),
    ];
    let logs = std::fs::read_to_string(log.path()).unwrap();
    assert!(
        logs.contains("customer erased"),
        "TRACE logs cover the erasure"
    );
    assert_absent("the logs", &logs, &personal);
    let stored = database_contents(&database);
    assert!(
        stored.contains("erase-bin"),
        "the scan sees the stored rows"
    );
    assert_absent("the database after erasure", &stored, &personal);
}
