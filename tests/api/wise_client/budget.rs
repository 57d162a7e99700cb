//! The Wise call budget, seen from Wise's side (the simulator's call log, with its rate limits
//! enforced): every instance on one database stays inside one budget together, a 429 pauses all
//! of them for its `Retry-After`, and background work takes only what customers leave. On
//! PostgreSQL the instances are two applications on one database; SQLite serves one instance,
//! whose budget is its own.

use crate::helpers::{TestApp, customer, json, spawn_app_with, submit};
use crate::tokens::{active_link, refreshes};
use chrono::DateTime;
use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wiselink::workers::refresher::{Refresher, run_once};

/// No background refresher passes of the apps' own: the tests run them by hand.
const BY_HAND: (&str, &str) = ("WISELINK__TOKENS__REFRESH_INTERVAL_SECS", "3600");

fn millis(call: &Value) -> i64 {
    DateTime::parse_from_rfc3339(call["at"].as_str().unwrap())
        .unwrap()
        .timestamp_millis()
}

/// The most of `calls` in any one-second window.
fn busiest_second(calls: &[&Value]) -> usize {
    let mut at: Vec<i64> = calls.iter().map(|c| millis(c)).collect();
    at.sort_unstable();
    let (mut most, mut from) = (0, 0);
    for to in 0..at.len() {
        while at[to] - at[from] >= 1000 {
            from += 1;
        }
        most = most.max(to - from + 1);
    }
    most
}

/// Wise's API calls in the log (the simulator's control calls aside).
async fn wise_calls(app: &TestApp) -> Vec<Value> {
    app.sim()
        .calls()
        .await
        .into_iter()
        .filter(|c| !c["path"].as_str().unwrap().starts_with("/__sim"))
        .collect()
}

/// This app and, on PostgreSQL, a second instance on its database.
async fn instances(app: &TestApp, overrides: &[(&str, &str)]) -> Vec<TestApp> {
    if app.database().is_postgres() {
        vec![app.second_instance(overrides).await]
    } else {
        Vec::new()
    }
}

async fn complete_flow(app: &TestApp, customer_ref: String) -> Value {
    let email = format!("{customer_ref}@example.com");
    let started = app.start_link(&customer_ref).await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let link = json(started).await;
    let code = app.sim().latest_code(&email).await;
    let id = link["id"].as_str().unwrap();
    let done = submit(app, id, link["link_session_token"].as_str().unwrap(), &code).await;
    assert_eq!(done.status(), StatusCode::OK);
    json(done).await
}

#[tokio::test]
async fn every_instance_on_one_database_stays_inside_one_budget() {
    // 20 a second less a 40 % margin: 12 admitted a second, fleet-wide. Wise (the simulator)
    // refuses a 21st call in any second; counted alone, two instances would send up to 24.
    let overrides = [
        ("WISELINK__WISE__BUDGET__PER_SECOND", "20"),
        ("WISELINK__WISE__BUDGET__MARGIN_PERCENT", "40"),
        ("WISELINK__WISE__BUDGET__CUSTOMER_MAX_WAIT_MS", "30000"),
        (
            "WISELINK__LIMITS__CODE_SUBMISSIONS_PER_IP_PER_MINUTE",
            "100",
        ),
        BY_HAND,
    ];
    let app = spawn_app_with(&overrides).await;
    let others = instances(&app, &overrides).await;
    let limits = json!({"per_second": 20, "per_minute": 1000});
    let set = app
        .sim()
        .control(Method::PUT, "/__sim/rate-limits", Some(limits))
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    let refs: Vec<String> = (0..24).map(|i| format!("fleet-{i}")).collect();
    for r in &refs {
        customer(&app, r, &format!("{r}@example.com"), Some(json!({}))).await;
    }
    let serving: Vec<&TestApp> = std::iter::once(&app).chain(&others).collect();
    let flows = refs
        .iter()
        .enumerate()
        .map(|(i, r)| complete_flow(serving[i % serving.len()], r.clone()));
    for link in join_all(flows).await {
        assert_eq!(link["state"], "active", "{link}");
    }

    let calls = wise_calls(&app).await;
    let refused: Vec<&Value> = calls.iter().filter(|c| c["status"] == 429).collect();
    assert!(refused.is_empty(), "Wise refused {refused:?}");
    // Admitted at most 12 a second; a call admitted late in one window may reach Wise early in
    // the next (what the margin is for: on a loaded machine a 20 % margin was not enough), never
    // past Wise's 20.
    let all: Vec<&Value> = calls.iter().collect();
    let busiest = busiest_second(&all);
    assert!(
        (9..=20).contains(&busiest),
        "{busiest} calls in the busiest second of {}",
        calls.len()
    );
}

#[tokio::test]
async fn a_429_pauses_every_instance_for_its_retry_after() {
    let app = spawn_app_with(&[BY_HAND]).await;
    let others = instances(&app, &[BY_HAND]).await;
    let other = others.first().unwrap_or(&app);
    let email = "paused@example.com";
    customer(&app, "paused", email, Some(json!({}))).await;
    customer(&app, "waits", "waits@example.com", Some(json!({}))).await;
    let link = json(app.start_link("paused").await).await;
    let code = app.sim().latest_code(email).await;
    app.sim()
        .fault(json!({"endpoint": "/oauth/token", "status": 429, "retry_after": 2, "count": 1}))
        .await;

    let id = link["id"].as_str().unwrap();
    let refused = submit(
        &app,
        id,
        link["link_session_token"].as_str().unwrap(),
        &code,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "2");
    let asked = Instant::now();
    let started = other.start_link("waits").await;
    let held = asked.elapsed();
    assert_eq!(started.status(), StatusCode::CREATED);
    assert!(held >= Duration::from_millis(1500), "held {held:?}");

    let calls = wise_calls(&app).await;
    let at_429 = calls.iter().position(|c| c["status"] == 429).unwrap();
    let next = &calls[at_429 + 1];
    let gap = millis(next) - millis(&calls[at_429]);
    assert!(gap >= 1900, "{} sent {gap} ms after the 429", next["path"]);
}

#[tokio::test]
async fn background_work_takes_only_what_customers_leave() {
    let app = spawn_app_with(&[BY_HAND]).await;
    for i in 0..12 {
        active_link(&app, &format!("due-{i}")).await;
    }
    customer(&app, "waiting", "waiting@example.com", Some(json!({}))).await;
    // 10 calls a second; background work half of that, paced: 5 a second.
    let app = app
        .restart_with(&[
            ("WISELINK__WISE__BUDGET__PER_SECOND", "10"),
            ("WISELINK__WISE__BUDGET__PER_MINUTE", "600"),
            ("WISELINK__WISE__BUDGET__MARGIN_PERCENT", "0"),
            ("WISELINK__WISE__BUDGET__CUSTOMER_RESERVE_PERCENT", "50"),
            BY_HAND,
        ])
        .await;
    app.advance(chrono::Duration::hours(7));
    let before = wise_calls(&app).await.len();
    let pass = Refresher {
        every: Duration::from_secs(3600),
        batch: 200,
        concurrency: 32,
    };
    // Passes until the backlog is drained, as the refresher's loop runs them (on SQLite a pass
    // can find the database busy with another writer and claim nothing; the next one goes on).
    let drain = async {
        let mut renewed = 0;
        for _ in 0..20 {
            renewed += run_once(&app.links, pass).await;
            if renewed >= 12 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        renewed
    };
    let (renewed, customer_took) = tokio::join!(drain, async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let began = Instant::now();
        let link = complete_flow(&app, "waiting".to_owned()).await;
        assert_eq!(link["state"], "active");
        began.elapsed()
    });
    assert_eq!(renewed, 12);
    assert_eq!(
        refreshes(&app).await.len(),
        12,
        "each due link refreshed once"
    );

    let calls = wise_calls(&app).await;
    let during: Vec<&Value> = calls[before..].iter().collect();
    let background: Vec<&Value> = during
        .iter()
        .copied()
        .filter(|c| c["body"]["grant_type"] == "refresh_token")
        .collect();
    assert!(
        busiest_second(&background) <= 5,
        "background work sent {} in one second",
        busiest_second(&background)
    );
    let last_refresh = background.iter().map(|c| millis(c)).max().unwrap();
    let customer_calls: Vec<i64> = during
        .iter()
        .filter(|c| c["body"]["grant_type"] != "refresh_token")
        .map(|c| millis(c))
        .collect();
    assert!(
        customer_calls.iter().all(|at| *at < last_refresh),
        "the customer's calls waited for the backlog"
    );
    assert!(
        customer_took < Duration::from_secs(2),
        "the customer's flow took {customer_took:?}"
    );
}
