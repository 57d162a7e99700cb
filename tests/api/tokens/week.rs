//! A simulated week of upkeep with Wise failing now and then: every active link always holds a
//! token Wise takes, no call ever reaches Wise with a dead token, and no link is re-linked.

use super::{active_link, dead_token_calls, pass, refreshes, token_of, works_at_wise};
use crate::helpers::spawn_app;
use serde_json::json;
use wiselink::workers::refresher::run_once;

/// One transient fault, picked by a small deterministic generator (the run is repeatable).
fn fault(roll: u64) -> serde_json::Value {
    match roll % 4 {
        0 => json!({"endpoint": "/oauth/token", "status": 500}),
        1 => json!({"endpoint": "/oauth/token", "status": 503, "retry_after": 30}),
        2 => json!({"endpoint": "/oauth/token", "status": 429, "retry_after": 5}),
        _ => json!({"endpoint": "/oauth/token", "status": 502}),
    }
}

#[tokio::test]
async fn a_week_of_refreshes_with_transient_failures_keeps_every_link_alive() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(active_link(&app, &format!("wk-{i}")).await);
    }
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut faults = 0;
    for _hour in 0..7 * 24 {
        // A xorshift step: about one refresh in twenty meets a fault (1 in 5 hours, with ~4
        // refreshes due per 6 hours), more than Wise's 1 % so every path is taken in a week.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if state.is_multiple_of(5) {
            app.sim().fault(fault(state >> 8)).await;
            faults += 1;
        }
        app.advance(chrono::Duration::hours(1));
        run_once(&app.links, pass()).await;
        for id in &ids {
            let token = token_of(&app, id).await;
            assert!(works_at_wise(&app, &token).await, "{id} holds a live token");
        }
        app.sim()
            .control(reqwest::Method::DELETE, "/__sim/faults", None)
            .await;
    }
    assert!(faults >= 10, "faults were injected: {faults}");
    let renewed = refreshes(&app).await.len();
    assert!(
        renewed >= ids.len() * 7 * 24 / 6 && renewed <= ids.len() * 7 * 24 / 4,
        "about one refresh per link every 5-6 hours: {renewed}"
    );
    assert_eq!(
        dead_token_calls(&app).await,
        0,
        "no call to Wise with a dead token"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM links WHERE state = 'active'")
            .await,
        ids.len() as i64
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM link_events WHERE event IN ('access_revoked', 'tokens_lost')"
        )
        .await,
        0,
        "no false re-link"
    );
}
