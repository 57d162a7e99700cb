//! Bringing existing links (docs/import.md): over `POST /v1/links/import` and `wiselink import`,
//! each row proven at the simulated Wise (a refresh, then the identity check), idempotent, and
//! finished by the next run after a `kill -9`.

mod cli;

use crate::helpers::{TestApp, TestSim, spawn_app};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// `n` Wise users, each already linked to wiselink's client: their email, ids and tokens.
pub async fn linked_users(sim: &TestSim, prefix: &str, n: usize) -> Vec<Value> {
    let r = reqwest::Client::new()
        .post(sim.url("/__sim/linked-users"))
        .json(&json!({"count": n, "email_prefix": prefix, "date_of_birth": "1990-04-17"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Vec<Value>>().await.unwrap()
}

/// An import row for `user` as customer `customer_ref`, with the partner's matching details.
pub fn row(customer_ref: &str, user: &Value) -> Value {
    json!({
        "customer_ref": customer_ref,
        "email": user["email"],
        "date_of_birth": "1990-04-17",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "language": "DE",
        "wise_user_id": user["user_id"],
        "wise_profile_id": user["profile_id"],
        "refresh_token": user["refresh_token"],
    })
}

/// Arms a fault in the simulator (`POST /__sim/faults`).
pub async fn arm_fault(app: &TestApp, fault: Value) {
    let r = reqwest::Client::new()
        .post(app.sim().url("/__sim/faults"))
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "fault armed");
}

/// Every call the simulated Wise received.
pub async fn sim_calls(app: &TestApp) -> Vec<Value> {
    reqwest::get(app.sim().url("/__sim/calls"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// How many refresh grants Wise was sent.
pub async fn refresh_grants(app: &TestApp) -> usize {
    sim_calls(app)
        .await
        .iter()
        .filter(|c| c["path"] == "/oauth/token" && c["body"]["grant_type"] == "refresh_token")
        .count()
}

pub fn json_lines(rows: &[Value]) -> String {
    rows.iter().map(|r| format!("{r}\n")).collect()
}

/// Posts `body` to the import; the answer's row lines by line number, and its last line.
async fn import(app: &TestApp, body: String, media_type: &str) -> (BTreeMap<u64, Value>, Value) {
    let r = app
        .authed(reqwest::Method::POST, "/v1/links/import")
        .header("Content-Type", media_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let end = lines.pop().expect("a summary line");
    let rows = lines
        .into_iter()
        .map(|l| (l["line"].as_u64().unwrap(), l))
        .collect();
    (rows, end)
}

pub async fn link_of(app: &TestApp, customer_ref: &str) -> Value {
    let page = app
        .get_json(&format!("/v1/links?customer_ref={customer_ref}"))
        .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{customer_ref}: {page}");
    items[0].clone()
}

#[tokio::test]
async fn each_row_is_proven_at_wise_and_a_second_import_changes_nothing() {
    let app = spawn_app().await;
    let users = linked_users(app.sim(), "imp-", 7).await;
    let mut rows = vec![
        row("imp-0", &users[0]),
        row("imp-1", &users[1]),
        row("imp-dob", &users[2]),
        row("imp-dead", &users[3]),
        row("imp-profile", &users[4]),
    ];
    rows[2]["date_of_birth"] = json!("1991-01-01");
    rows[3]["refresh_token"] = json!("not-a-token-wise-knows");
    rows[4]["wise_profile_id"] = json!(users[4]["profile_id"].as_i64().unwrap() + 1000);
    let mut missing = row("imp-bad", &users[5]);
    missing.as_object_mut().unwrap().remove("email");
    missing["wise_user_id"] = json!("twelve");
    rows.push(missing);
    let body = json_lines(&rows) + "this is not json\n";

    let (got, end) = import(&app, body.clone(), "application/x-ndjson").await;
    let outcome = |line: u64| (got[&line]["outcome"].clone(), got[&line]["code"].clone());
    assert_eq!(outcome(1), (json!("imported"), Value::Null));
    assert_eq!(outcome(2), (json!("imported"), Value::Null));
    assert_eq!(outcome(3), (json!("failed"), json!("dob_mismatch")));
    assert_eq!(outcome(4), (json!("failed"), json!("access_revoked")));
    assert_eq!(outcome(5), (json!("failed"), json!("different_wise_user")));
    assert_eq!(outcome(6), (json!("failed"), json!("invalid_fields")));
    assert_eq!(outcome(7), (json!("failed"), json!("malformed_row")));
    let fields: Vec<(&str, &str)> = got[&6]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [("email", "required"), ("wise_user_id", "invalid_id")]
    );
    assert_eq!(end["line"], "imported 2, unchanged 0, failed 5");
    assert_eq!(
        end["summary"]["states"],
        json!({"active": 2, "needs_review": 2, "relink_required": 1})
    );

    // What the partner sees: the links, their states and reasons, the customer as the file said.
    let active = link_of(&app, "imp-0").await;
    assert_eq!(
        (active["state"].clone(), active["wise_user_id"].clone()),
        (json!("active"), users[0]["user_id"].clone())
    );
    let review = link_of(&app, "imp-dob").await;
    assert_eq!(
        (review["state"].clone(), review["review_reason"].clone()),
        (json!("needs_review"), json!("dob_mismatch"))
    );
    assert_eq!(link_of(&app, "imp-dead").await["reason"], "access_revoked");
    let customer: Value = app.get_customer("imp-1").await.json().await.unwrap();
    assert_eq!(
        (customer["language"].clone(), customer["email"].clone()),
        (json!("DE"), users[1]["email"].clone())
    );

    // The proven link hands out a token Wise takes: the refresh's, not the one in the file.
    let token: Value = app
        .access_token(active["id"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let issued = token["access_token"].as_str().unwrap();
    assert_ne!(issued, users[0]["access_token"].as_str().unwrap());
    let known = reqwest::get(app.sim().url(&format!("/__sim/access-tokens/{issued}")))
        .await
        .unwrap();
    assert_eq!(known.status(), 200);

    // No email: the customers did nothing. No refresh token from the file is stored readable.
    assert!(app.mail.attempts().is_empty());
    assert!(active["imported_at"].is_string());
    let stored = crate::canary::probe::database_contents(app.database());
    let secrets: Vec<(&str, &str)> = users
        .iter()
        .map(|u| ("refresh token", u["refresh_token"].as_str().unwrap()))
        .collect();
    crate::canary::probe::assert_absent("the database", &stored, &secrets);

    // The same body again: every row that was written is unchanged, and nothing is written.
    let events = app.count("SELECT count(*) AS n FROM link_events").await;
    let (again, end) = import(&app, body, "application/x-ndjson").await;
    assert_eq!(end["line"], "imported 0, unchanged 5, failed 2");
    assert_eq!(again[&3]["state"], "needs_review");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM link_events").await,
        events
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM links").await, 5);

    // Another customer with an email an active link already signed up with is refused.
    let mut twin = row("imp-twin", &users[6]);
    twin["email"] = users[0]["email"].clone();
    let (got, _) = import(&app, json_lines(&[twin]), "application/x-ndjson").await;
    assert_eq!(got[&1]["code"], "signup_email_taken", "{got:?}");
    assert_eq!(app.count("SELECT count(*) AS n FROM links").await, 5);
}

#[tokio::test]
async fn a_csv_import_refuses_a_wrong_header_before_any_row_and_other_bodies_get_415() {
    let app = spawn_app().await;
    let users = linked_users(app.sim(), "csv-", 1).await;
    let u = &users[0];
    let csv = format!(
        "customer_ref,email,date_of_birth,first_name,last_name,wise_user_id,wise_profile_id,refresh_token\r\n\
         csv-0,{},1990-04-17,\"Lovelace, Ada\",\"Byron \"\"King\"\"\",{},{},{}\r\n",
        u["email"].as_str().unwrap(),
        u["user_id"],
        u["profile_id"],
        u["refresh_token"].as_str().unwrap()
    );
    let (got, end) = import(&app, csv, "text/csv; charset=utf-8").await;
    assert_eq!(got[&2]["outcome"], "imported", "{got:?}");
    assert_eq!(end["line"], "imported 1, unchanged 0, failed 0");
    let customer: Value = app.get_customer("csv-0").await.json().await.unwrap();
    assert_eq!(customer["first_name"], "Lovelace, Ada");
    assert_eq!(customer["last_name"], "Byron \"King\"");

    let wrong = app
        .authed(reqwest::Method::POST, "/v1/links/import")
        .header("Content-Type", "text/csv")
        .body("customer_ref,colour\nx,red\n")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 422);
    let problem: Value = wrong.json().await.unwrap();
    assert_eq!(problem["errors"][0]["code"], "invalid_header");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("\"colour\"")
    );
    for media_type in ["application/json", "text/plain"] {
        let r = app
            .authed(reqwest::Method::POST, "/v1/links/import")
            .header("Content-Type", media_type)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415);
    }
    let anonymous = app
        .client
        .post(app.url("/v1/links/import"))
        .header("Content-Type", "text/csv")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(app.count("SELECT count(*) AS n FROM links").await, 1);
}

#[tokio::test]
async fn a_row_wise_cannot_prove_now_is_reported_and_the_recovery_worker_finishes_it() {
    let app = crate::helpers::spawn_recovering_app().await;
    let users = linked_users(app.sim(), "later-", 1).await;
    let faults = app.sim().url("/__sim/faults");
    let client = reqwest::Client::new();
    let down = json!({"endpoint": "/oauth/token", "status": 503, "retry_after": 1, "count": 1000});
    arm_fault(&app, down).await;

    let (got, end) = import(
        &app,
        json_lines(&[row("later-0", &users[0])]),
        "application/x-ndjson",
    )
    .await;
    assert_eq!(got[&1]["code"], "wise_unavailable", "{got:?}");
    assert_eq!(got[&1]["state"], Value::Null);
    assert_eq!(end["line"], "imported 0, unchanged 0, failed 1");
    let link = link_of(&app, "later-0").await;
    assert_eq!(
        (link["state"].clone(), link["reason"].clone()),
        (json!("verifying"), json!("imported"))
    );

    // Wise is back; once the link is stale, recovery proves it as the import would have.
    client.delete(&faults).send().await.unwrap();
    app.advance(chrono::Duration::seconds(31));
    let started = std::time::Instant::now();
    while link_of(&app, "later-0").await["state"] == "verifying" {
        assert!(
            started.elapsed().as_secs() < 10,
            "recovery did not finish the import"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let link = link_of(&app, "later-0").await;
    assert_eq!(link["state"], "active");
    let events = app.event_names(link["id"].as_str().unwrap()).await;
    assert!(
        events.ends_with(&["tokens_stored".to_owned(), "identity_matched".to_owned()]),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_proof_cut_off_after_its_refresh_resumes_from_the_stored_tokens_without_a_second_refresh()
{
    let app = spawn_app().await;
    let users = linked_users(app.sim(), "resume-", 1).await;
    let down = json!({"endpoint": "/v1/me", "status": 503, "retry_after": 1, "count": 6});
    arm_fault(&app, down).await;

    let (got, _) = import(
        &app,
        json_lines(&[row("resume-0", &users[0])]),
        "application/x-ndjson",
    )
    .await;
    assert_eq!(got[&1]["outcome"], "imported", "{got:?}");
    assert_eq!(
        refresh_grants(&app).await,
        1,
        "the stored tokens were used, not a second refresh"
    );
    let calls = sim_calls(&app).await;
    let me = calls.iter().filter(|c| c["path"] == "/v1/me").count();
    assert!(
        me > 6,
        "Wise's /v1/me failed until its faults ran out ({me} calls)"
    );
}
