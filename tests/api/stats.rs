//! `GET /v1/stats` against flows counted by hand: what each link did, as the partner and the
//! staff Insights page read it; and the counts the event trigger keeps equal a recount of the
//! whole history.

use crate::helpers::{
    TestApp, awaiting_code, customer, customer_body, field_codes, json, problem, spawn_app, submit,
    text_rows,
};
use crate::tokens::active_link;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn stats(app: &TestApp, query: &str) -> reqwest::Response {
    app.authed(Method::GET, &format!("/v1/stats{query}"))
        .send()
        .await
        .unwrap()
}

async fn unlink(app: &TestApp, id: &str) {
    let r = app
        .authed(Method::DELETE, &format!("/v1/links/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Five attempts, each a different ending; returns the re-linked link's id.
async fn hand_counted_flows(app: &TestApp) -> String {
    // 1 and 2: the email-code flow to `active`; then unlinked and re-linked, active again.
    let relinked = active_link(app, "st-active").await;
    unlink(app, &relinked).await;
    let r = app
        .authed(Method::POST, &format!("/v1/links/{relinked}/relink"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let code = app.sim().latest_code("st-active@example.com").await;
    let done = json(submit(app, &relinked, &app.api_key, &code).await).await;
    assert_eq!(done["state"], "active", "{done}");

    // 3: the DOB Wise holds is not the partner's: review, then the partner rejects it.
    let reviewed = crate::helpers::in_review(app, "st-review").await;
    let r = app
        .decide(&app.api_key, &reviewed, "reject", "not the same person")
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // 4: five wrong codes: locked. The customer entered codes (once, as a step).
    let (locked, session, _) =
        awaiting_code(app, "st-locked", "st-locked@example.com", json!({})).await;
    for wrong in 0..5 {
        let _ = submit(app, &locked, &session, &format!("WRONG{wrong}")).await;
    }
    assert_eq!(
        app.get_json(&format!("/v1/links/{locked}")).await["state"],
        "locked"
    );

    // 5: the redirect flow, a German customer who never went to Wise's page; unlinked.
    let mut body = customer_body();
    body["email"] = json!("st-redirect@example.com");
    body["language"] = json!("de");
    assert_eq!(
        app.put_customer("st-redirect", &body).await.status(),
        StatusCode::CREATED
    );
    app.sim().seed("st-redirect@example.com", json!({})).await;
    let started = app
        .authed(Method::POST, "/v1/links")
        .json(&json!({"customer_ref": "st-redirect", "flow": "redirect"}))
        .send()
        .await
        .unwrap();
    let abandoned = json(started).await["id"].as_str().unwrap().to_owned();
    unlink(app, &abandoned).await;

    // A customer with no link changes nothing.
    customer(app, "st-idle", "st-idle@example.com", None).await;
    relinked
}

fn funnel(v: &Value) -> Value {
    let keys = [
        "started",
        "awaiting_code",
        "awaiting_authorization",
        "code_entered",
        "active",
        "needs_review",
        "rejected",
        "locked",
        "expired",
        "abandoned",
    ];
    keys.iter().map(|k| (k.to_string(), v[k].clone())).collect()
}

#[tokio::test]
async fn the_funnel_counts_what_each_link_did_once_per_attempt() {
    let app = spawn_app().await;
    hand_counted_flows(&app).await;

    let r = stats(&app, "").await;
    assert_eq!(r.status(), StatusCode::OK);
    let s = json(r).await;
    let expected = json!({
        "started": 5, "awaiting_code": 4, "awaiting_authorization": 1, "code_entered": 4,
        "active": 2, "needs_review": 1, "rejected": 1, "locked": 1, "expired": 0, "abandoned": 1
    });
    assert_eq!(funnel(&s["totals"]), expected, "{s}");
    assert_eq!(s["granularity"], "day");
    assert_eq!(s["periods"].as_array().unwrap().len(), 30);
    let today = s["to"].as_str().unwrap();
    let last = s["periods"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["start"], today);
    assert_eq!(funnel(&last), expected);

    let by_flow = &s["totals_by_flow"];
    assert_eq!(by_flow["email_code"]["started"], 4);
    assert_eq!(by_flow["email_code"]["locked"], 1);
    assert_eq!(by_flow["redirect"]["started"], 1, "{by_flow}");
    assert_eq!(by_flow["redirect"]["abandoned"], 1);
    assert_eq!(by_flow["redirect"]["awaiting_code"], 0);
    assert_eq!(
        s["totals_by_language"]["DE"]["started"], 1,
        "{}",
        s["totals_by_language"]
    );
    assert_eq!(s["totals_by_language"]["EN"]["started"], 4);

    // Both activations took seconds: within the first bucket.
    let t = &s["time_to_active"];
    assert_eq!(t["activated"], 2);
    assert_eq!(t["median_within_seconds"], 60);
    assert_eq!(t["p90_within_seconds"], 60);
    assert_eq!(s["review_queue"]["waiting"], 0);
    assert_eq!(s["refresh"]["failing"], 0);

    // By week: the same totals, in the week that holds today.
    let week = json(stats(&app, &format!("?granularity=week&from={today}&to={today}")).await).await;
    assert_eq!(week["periods"].as_array().unwrap().len(), 1);
    assert_eq!(funnel(&week["periods"][0]), expected);
    // A span before any of it: all zero.
    let before = json(stats(&app, "?from=2020-01-01&to=2020-01-31").await).await;
    assert_eq!(before["totals"]["started"], 0);
    assert_eq!(
        before["time_to_active"]["median_within_seconds"],
        Value::Null
    );
}

#[tokio::test]
async fn the_counts_kept_by_each_event_equal_a_recount_after_the_shards_fold_and_the_queue_is_current()
 {
    let app = spawn_app().await;
    hand_counted_flows(&app).await;
    let waiting = crate::helpers::in_review(&app, "st-waiting").await;
    let s = json(stats(&app, "").await).await;
    assert_eq!(s["review_queue"]["waiting"], 1, "{waiting}: {s}");
    assert_eq!(s["review_queue"]["over_an_hour"], 0);
    assert_eq!(recounted(&app), kept(&app));
    let sharded = "SELECT COUNT(*) AS n FROM link_stats WHERE shard > 0";
    // PostgreSQL spreads a day's counts over 8 shards; SQLite keeps them in one.
    assert_eq!(app.count(sharded).await > 0, app.database().is_postgres());

    // Two days on, the hourly fold puts those days in one shard; every sum stays.
    app.advance(chrono::Duration::hours(49));
    for _ in 0..100 {
        if app.count(sharded).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.count(sharded).await, 0);
    assert_eq!(recounted(&app), kept(&app));
    let after = json(stats(&app, "").await).await;
    assert_eq!(after["totals"], s["totals"]);
    assert_eq!(after["review_queue"]["over_an_hour"], 1);
    assert_eq!(after["review_queue"]["over_a_day"], 1);
    assert_eq!(after["review_queue"]["over_a_week"], 0);
    assert!(
        after["review_queue"]["oldest_waiting_seconds"]
            .as_i64()
            .unwrap()
            >= 49 * 3600
    );
}

/// What `link_stats` holds, summed over the shards, one line per count.
fn kept(app: &TestApp) -> Vec<String> {
    let kept = "SELECT CAST(day AS TEXT) || ' ' || kind || ' ' || name || ' ' || flow || ' ' \
                || language || ' ' || CAST(SUM(n) AS TEXT) AS s FROM link_stats \
                GROUP BY day, kind, name, flow, language ORDER BY 1";
    let rows = text_rows(&app.db, kept);
    assert!(rows.len() >= 10, "{rows:?}");
    rows
}

/// The same counts, recounted from the whole history through the migration's view.
fn recounted(app: &TestApp) -> Vec<String> {
    let recount = "SELECT CAST(day AS TEXT) || ' ' || kind || ' ' || name || ' ' || flow || ' ' \
                   || language || ' ' || CAST(COUNT(*) AS TEXT) AS s FROM link_stats_counts \
                   GROUP BY day, kind, name, flow, language ORDER BY 1";
    text_rows(&app.db, recount)
}

#[tokio::test]
async fn bad_spans_get_422_with_a_stable_code_and_no_key_gets_401() {
    let app = spawn_app().await;
    for (query, field, code) in [
        ("?from=2026-13-01", "from", "invalid_date"),
        ("?to=yesterday", "to", "invalid_date"),
        ("?to=262143-12-31", "to", "invalid_date"),
        ("?from=1969-12-31", "from", "invalid_date"),
        ("?granularity=month", "granularity", "invalid_granularity"),
        ("?span=30", "span", "unknown_parameter"),
        ("?from=2026-12-02&to=2026-12-01", "from", "out_of_range"),
        ("?from=2024-01-01&to=2026-01-01", "from", "out_of_range"),
    ] {
        let r = stats(&app, query).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let p = problem(r).await;
        assert_eq!(
            field_codes(&p),
            vec![(field.into(), code.into())],
            "{query}"
        );
    }
    let ok = json(stats(&app, "?from=2024-01-01&to=2025-12-31&granularity=week").await).await;
    assert_eq!(ok["periods"][0]["start"], "2024-01-01");
    let r = app.client.get(app.url("/v1/stats")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
