//! Refreshes failing for reasons Wise did not call final keep the link and its tokens; only a long
//! run of them flags the link, and it recovers by itself.

use super::{active_link, pass, token_of, works_at_wise};
use crate::helpers::{problem, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json;
use wiselink::workers::refresher::run_once;

#[tokio::test]
async fn failing_refreshes_back_off_flag_the_link_after_a_while_and_never_relink_it() {
    let app = spawn_app_with(&[
        ("WISELINK__TOKENS__RETRY_BASE_SECS", "60"),
        ("WISELINK__TOKENS__RETRY_MAX_SECS", "600"),
        ("WISELINK__TOKENS__FAILING_AFTER_SECS", "7200"),
    ])
    .await;
    let id = active_link(&app, "tf-1").await;
    let token = token_of(&app, &id).await;
    app.advance(chrono::Duration::hours(7));
    app.sim()
        .fault(
            json!({"endpoint": "/oauth/token", "status": 503, "retry_after": 120, "count": 1000}),
        )
        .await;

    assert_eq!(run_once(&app.links, pass()).await, 1);
    assert_eq!(
        run_once(&app.links, pass()).await,
        0,
        "a failed link waits (Retry-After 120 s) before its next try"
    );
    // The stored token still works for hours: the partner keeps getting it meanwhile.
    assert_eq!(token_of(&app, &id).await, token);
    assert!(works_at_wise(&app, &token).await);

    let mut tries = 1;
    for _ in 0..20 {
        app.advance(chrono::Duration::minutes(11));
        tries += run_once(&app.links, pass()).await;
    }
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["state"], "active");
    assert_eq!(link["refresh_failing"], true, "over two hours of failures");
    assert!(tries >= 10, "tried again as the backoff allowed: {tries}");
    let events = app.event_names(&id).await;
    assert_eq!(
        events.iter().filter(|e| *e == "refresh_failing").count(),
        1,
        "{events:?}"
    );

    // Past expiry with Wise still failing: unavailable, not re-link.
    app.advance(chrono::Duration::hours(2));
    let r = app.access_token(&id).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(problem(r).await["code"], "wise_unavailable");

    // Wise is back.
    app.sim()
        .control(reqwest::Method::DELETE, "/__sim/faults", None)
        .await;
    app.advance(chrono::Duration::minutes(11));
    assert_eq!(run_once(&app.links, pass()).await, 1);
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["refresh_failing"], false);
    let fresh = token_of(&app, &id).await;
    assert!(works_at_wise(&app, &fresh).await);
    let events = app.event_names(&id).await;
    assert!(
        events.contains(&"refresh_recovered".to_owned()),
        "{events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| e == "access_revoked" || e == "tokens_lost")
    );
}
