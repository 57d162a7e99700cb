//! The refresher renews due links by itself, each once per window, however many instances run it.

use super::{active_link, pass, refreshes, token_of, works_at_wise};
use crate::helpers::spawn_app;
use std::collections::HashMap;
use wiselink::workers::refresher::run_once;

#[tokio::test]
async fn due_links_are_renewed_before_they_expire_without_anyone_asking() {
    let app = spawn_app().await;
    let id = active_link(&app, "rf-1").await;
    let before = token_of(&app, &id).await;
    assert_eq!(run_once(&app.links, pass()).await, 0, "nothing is due yet");

    // Due between 6 and 7 hours before the 12-hour token expires.
    app.advance(chrono::Duration::hours(4));
    assert_eq!(run_once(&app.links, pass()).await, 0);
    app.advance(chrono::Duration::hours(2) + chrono::Duration::minutes(1));
    assert_eq!(run_once(&app.links, pass()).await, 1);
    assert_eq!(refreshes(&app).await.len(), 1);
    assert!(
        !works_at_wise(&app, &before).await,
        "Wise killed the old token"
    );

    let after = token_of(&app, &id).await;
    assert_ne!(before, after);
    assert!(works_at_wise(&app, &after).await);
    assert_eq!(
        refreshes(&app).await.len(),
        1,
        "the partner got the renewed token"
    );
    assert_eq!(
        run_once(&app.links, pass()).await,
        0,
        "renewed: not due again"
    );
}

#[tokio::test]
async fn two_instances_refreshing_the_same_links_refresh_each_once_per_window() {
    let first = spawn_app().await;
    let second = first.second_instance(&[]).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(active_link(&first, &format!("rf-2-{i}")).await);
    }
    for window in 1..=3 {
        first.advance(chrono::Duration::hours(7));
        // Both instances' passes race, small batches so they interleave.
        let small = wiselink::workers::refresher::Refresher { batch: 3, ..pass() };
        let drain = |app: &crate::helpers::TestApp| {
            let links = app.links.clone();
            async move {
                let mut n = 0;
                loop {
                    let claimed = run_once(&links, small).await;
                    n += claimed;
                    if claimed == 0 {
                        return n;
                    }
                }
            }
        };
        let (a, b) = tokio::join!(drain(&first), drain(&second));
        // On SQLite (no SKIP LOCKED) a pass can pick rows the other pass claims the moment
        // before and so claim nothing while links are still due: a drain can stop early, as a
        // refresher tick would (the next tick takes the rest). One more pass picks those up.
        let rest = drain(&first).await;
        assert_eq!(
            a + b + rest,
            ids.len(),
            "window {window}: every link claimed once"
        );
        let calls = refreshes(&first).await;
        let mut per_token: HashMap<String, usize> = HashMap::new();
        for c in &calls {
            *per_token
                .entry(c["body"]["refresh_token"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        assert_eq!(
            calls.len(),
            ids.len() * window,
            "window {window}: one refresh per link"
        );
        assert_eq!(per_token.len(), ids.len());
        assert!(
            per_token.values().all(|n| *n == window),
            "each link's refresh token was used once per window: {per_token:?}"
        );
        for id in &ids {
            let token = token_of(&second, id).await;
            assert!(
                works_at_wise(&first, &token).await,
                "{id} holds a live token"
            );
        }
    }
}

/// A stopping instance's refresher finishes the refreshes it started and gives back the leases of
/// the links it claimed but had not started: no link waits for a lease to lapse, and none is put
/// in doubt.
#[tokio::test]
async fn a_stopping_refresher_gives_back_the_links_it_had_not_started() {
    let app = spawn_app().await;
    for i in 0..8 {
        active_link(&app, &format!("rf-stop-{i}")).await;
    }
    // Background work may send two calls a second: a batch of ten takes five seconds.
    let app = app
        .restart_with(&[
            ("WISELINK__WISE__BUDGET__PER_SECOND", "4"),
            ("WISELINK__WISE__BUDGET__PER_MINUTE", "240"),
            ("WISELINK__WISE__BUDGET__MARGIN_PERCENT", "0"),
            ("WISELINK__WISE__BUDGET__CUSTOMER_RESERVE_PERCENT", "50"),
            ("WISELINK__TOKENS__REFRESH_INTERVAL_SECS", "3600"),
        ])
        .await;
    app.advance(chrono::Duration::hours(7));
    let mut workers = wiselink::workers::Workers::new(std::time::Duration::from_secs(1));
    let links = app.links.clone();
    let one_at_a_time = wiselink::workers::refresher::Refresher {
        every: std::time::Duration::from_millis(10),
        batch: 200,
        concurrency: 1,
    };
    workers.spawn("refresher", move |stop| {
        wiselink::workers::refresher::run(links.clone(), one_at_a_time, stop)
    });
    let started = std::time::Instant::now();
    while refreshes(&app).await.is_empty() {
        assert!(started.elapsed().as_secs() < 10, "no refresh began");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let held = app
        .count("SELECT COUNT(*) AS n FROM link_tokens WHERE refresh_leased_until IS NOT NULL")
        .await;
    assert!(held >= 4, "the batch holds its leases: {held}");

    let stopping = std::time::Instant::now();
    workers.stop().await;
    assert!(
        stopping.elapsed().as_secs_f64() < 2.0,
        "stopped after the refresh in progress, in {:?}",
        stopping.elapsed()
    );
    let refreshed = refreshes(&app).await.len() as i64;
    assert!(refreshed < 8, "stopped before the batch ended: {refreshed}");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM link_tokens WHERE refresh_leased_until IS NOT NULL")
            .await,
        0,
        "no lease left held"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM link_tokens WHERE refresh_in_doubt_at IS NOT NULL")
            .await,
        0,
        "nothing in doubt"
    );
    // Another pass (any instance) takes the rest up at once.
    let rest = run_once(&app.links, pass()).await as i64;
    assert_eq!(rest, 8 - refreshed);
}
