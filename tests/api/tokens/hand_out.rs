//! What `expires_at` promises: a handed-out access token is good until then — nobody refreshes
//! (and so kills) it earlier — so a partner may cache it that long. Checked by caching one through
//! the refresher's renewals, and by a storm of callers on two instances while the clock runs.

use super::{active_link, pass, works_at_wise};
use crate::helpers::{TestApp, json, spawn_app, spawn_app_with};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use wiselink::workers::refresher::run_once;

/// `(token, expires_at)` from one access-token call, or `None` when it did not answer 200.
async fn handed_out(app: &TestApp, id: &str) -> Option<(String, DateTime<Utc>)> {
    let r = app.access_token(id).await;
    if r.status() != reqwest::StatusCode::OK {
        return None;
    }
    let body = json(r).await;
    let expires = DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    Some((body["access_token"].as_str().unwrap().to_owned(), expires))
}

/// When Wise's refresh ended `token`, if one did.
async fn replaced_at(app: &TestApp, token: &str) -> Option<DateTime<Utc>> {
    let r = app
        .sim()
        .http
        .get(app.sim().url(&format!("/__sim/access-tokens/{token}")))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    body["replaced_at"]
        .as_str()
        .map(|t| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc))
}

#[tokio::test]
async fn a_cached_token_works_until_its_expires_at_while_the_refresher_runs() {
    let app = spawn_app().await;
    let id = active_link(&app, "ho-1").await;
    let now = app.sim().clock.now_utc();
    let (token, expires_at) = handed_out(&app, &id).await.unwrap();
    // Not Wise's 12 hours: the refresher renews it about 6 hours before that.
    assert!(
        expires_at <= now + Duration::hours(6) + Duration::minutes(1),
        "{expires_at}"
    );
    assert!(expires_at >= now + Duration::hours(4), "{expires_at}");

    // The partner uses the cached token until a second before its expires_at; the refresher
    // runs every 20 minutes meanwhile, and other calls for the link come and go.
    while app.sim().clock.now_utc() + Duration::minutes(20) < expires_at {
        app.advance(Duration::minutes(20));
        run_once(&app.links, pass()).await;
        let (again, _) = handed_out(&app, &id).await.unwrap();
        assert_eq!(again, token, "the same token until its expires_at");
        assert!(works_at_wise(&app, &token).await);
    }
    let left = expires_at - app.sim().clock.now_utc() - Duration::seconds(1);
    app.advance(left);
    run_once(&app.links, pass()).await;
    assert!(
        works_at_wise(&app, &token).await,
        "a second before expires_at"
    );

    // From expires_at on it is renewed, and the partner gets the new one.
    app.advance(Duration::seconds(2));
    let (renewed, later) = handed_out(&app, &id).await.unwrap();
    assert_ne!(renewed, token);
    assert!(later > expires_at);
    assert!(!works_at_wise(&app, &token).await);
    assert!(works_at_wise(&app, &renewed).await);
}

#[tokio::test]
async fn no_token_is_handed_out_that_a_refresh_ends_before_its_expires_at_in_a_storm() {
    // The refreshers run only when the test says, between clock jumps: a background pass every
    // 30 s of real time could be mid-call to Wise when the clock jumps past its lease, which
    // stands for a holder frozen past its lease (a crash test's case, not this one's).
    let manual = [("WISELINK__TOKENS__REFRESH_INTERVAL_SECS", "3600")];
    let first = spawn_app_with(&manual).await;
    let second = first.second_instance(&manual).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(active_link(&first, &format!("ho-storm-{i}")).await);
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // The clock jumps 10 minutes at a time, but never in the middle of a request: real time
    // cannot pass a refresh lease while its holder's call is out (the call's budget ends first),
    // and a jump that did would stand for a holder frozen past its lease — a crash test's case.
    let clock_gate = std::sync::Arc::new(tokio::sync::RwLock::new(()));
    // Callers on both instances, asking all the time.
    let mut callers = Vec::new();
    for c in 0..8 {
        let app = if c % 2 == 0 { &first } else { &second };
        let (client, base, key) = (app.client.clone(), app.address.clone(), app.api_key.clone());
        let (ids, stop, gate) = (ids.clone(), stop.clone(), clock_gate.clone());
        callers.push(tokio::spawn(async move {
            let mut got = Vec::new();
            let mut n = c;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let id = &ids[n % ids.len()];
                n += 1;
                let _in_flight = gate.read().await;
                let r = client
                    .post(format!("{base}/v1/links/{id}/access-token"))
                    .bearer_auth(&key)
                    .send()
                    .await
                    .unwrap();
                if r.status() == reqwest::StatusCode::OK {
                    let body: Value = r.json().await.unwrap();
                    got.push((
                        body["access_token"].as_str().unwrap().to_owned(),
                        body["expires_at"].as_str().unwrap().to_owned(),
                    ));
                }
            }
            got
        }));
    }
    // Meanwhile the clock runs through three renewals of every link, in 10-minute steps, and
    // both instances' refreshers drain what is due.
    for _ in 0..(36 * 6) {
        {
            let _no_request_in_flight = clock_gate.write().await;
            first.advance(Duration::minutes(10));
        }
        let (a, b) = tokio::join!(
            run_once(&first.links, pass()),
            run_once(&second.links, pass())
        );
        let _ = (a, b);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answers = Vec::new();
    for caller in callers {
        answers.extend(caller.await.unwrap());
    }
    let mut tokens: std::collections::HashMap<String, DateTime<Utc>> = Default::default();
    for (token, expires_at) in &answers {
        let at = DateTime::parse_from_rfc3339(expires_at)
            .unwrap()
            .with_timezone(&Utc);
        let entry = tokens.entry(token.clone()).or_insert(at);
        *entry = (*entry).max(at);
    }
    let mut ended_early = 0;
    for (token, promised) in &tokens {
        if let Some(ended) = replaced_at(&first, token).await
            && ended < *promised
        {
            ended_early += 1;
        }
    }
    println!(
        "storm: {} answers, {} distinct tokens, {} ended before their expires_at",
        answers.len(),
        tokens.len(),
        ended_early
    );
    assert!(
        answers.len() > 500,
        "the storm ran: {} answers",
        answers.len()
    );
    assert!(
        tokens.len() >= ids.len() * 3,
        "tokens were renewed: {}",
        tokens.len()
    );
    assert_eq!(ended_early, 0);
}

#[tokio::test]
async fn a_holder_whose_lease_ended_sends_no_refresh_over_the_next_holders() {
    let first = spawn_app().await;
    let second = first.second_instance(&[]).await;
    let id = active_link(&first, "ho-late").await;
    // In doubt: the next holder first asks Wise whether the stored token still works, and that
    // answer is slow for the first holder only.
    first
        .execute("UPDATE link_tokens SET refresh_in_doubt_at = (SELECT created_at FROM links WHERE links.id = link_id)")
        .await
        .unwrap();
    let me_calls = || async {
        first
            .sim()
            .calls()
            .await
            .iter()
            .filter(|c| c["path"] == "/v1/me")
            .count()
    };
    let asked_before = me_calls().await;
    // Wise answers the first holder's check slowly, after it has seen the call.
    first
        .sim()
        .fault(serde_json::json!({"endpoint": "/v1/me", "answer_latency_ms": 1500}))
        .await;
    let late = tokio::spawn({
        let (client, url, key) = (
            first.client.clone(),
            first.url(&format!("/v1/links/{id}/access-token")),
            first.api_key.clone(),
        );
        async move {
            let r = client.post(url).bearer_auth(key).send().await.unwrap();
            assert_eq!(r.status(), reqwest::StatusCode::OK);
            r.json::<Value>().await.unwrap()["access_token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    });
    for _ in 0..300 {
        if me_calls().await > asked_before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        me_calls().await > asked_before,
        "the first holder asked Wise"
    );
    // Its lease ends while it waits; the other instance takes the link and renews it.
    first.advance(Duration::minutes(2));
    let (renewed, _) = handed_out(&second, &id).await.unwrap();
    assert_eq!(super::refreshes(&first).await.len(), 1);

    let from_late = late.await.unwrap();
    assert_eq!(
        super::refreshes(&first).await.len(),
        1,
        "the late holder sent nothing"
    );
    assert_eq!(from_late, renewed, "it hands out what the other stored");
    assert!(works_at_wise(&first, &renewed).await);
}
