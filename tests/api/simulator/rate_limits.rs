//! Wise's request limits, when the simulator is asked to enforce them: past them 429 with
//! `Retry-After`, nothing processed, the refusal in the call log.

use crate::helpers::spawn_sim;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn past_the_limits_wise_answers_429_with_retry_after_and_processes_nothing() {
    let sim = spawn_sim().await;
    let put = |per_second: u32| {
        let body = json!({"per_second": per_second, "per_minute": 8});
        sim.control(Method::PUT, "/__sim/rate-limits", Some(body))
    };
    let read = || async {
        let r = sim.control(Method::GET, "/__sim/rate-limits", None).await;
        r.json::<Value>().await.unwrap()
    };
    assert_eq!(put(0).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(read().await, Value::Null, "off unless asked");
    assert_eq!(put(5).await.status(), StatusCode::OK);
    let exists = || {
        sim.http
            .get(sim.url("/v1/users/exists"))
            .query(&[("email", "nobody@example.com")])
            .send()
    };
    let mut statuses = Vec::new();
    let mut waits = Vec::new();
    for _ in 0..7 {
        let r = exists().await.unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            waits.push(r.headers()["retry-after"].to_str().unwrap().to_owned());
        }
    }
    // Five in the second are processed (401: no token), the next two are refused.
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    assert_eq!(waits, ["1", "1"]);

    // A second later three more fit the minute's eight; the ninth waits for the minute.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut later = Vec::new();
    for _ in 0..4 {
        let r = exists().await.unwrap();
        later.push((r.status().as_u16(), r.headers().get("retry-after").cloned()));
    }
    assert_eq!(
        later.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [401, 401, 401, 429]
    );
    let wait: u64 = later[3]
        .1
        .as_ref()
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((57..=59).contains(&wait), "Retry-After {wait}");

    let read: Value = sim
        .control(Method::GET, "/__sim/rate-limits", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        read,
        json!({"per_second": 5, "per_minute": 8, "admitted": 8, "refused": 3, "busiest_second": 5, "busiest_minute": 8})
    );
    let calls: Vec<Value> = sim
        .control(Method::GET, "/__sim/calls", None)
        .await
        .json()
        .await
        .unwrap();
    let refused = calls.iter().filter(|c| c["status"] == 429).count();
    assert_eq!(refused, 3, "refusals are in the call log");

    let cleared = sim
        .control(Method::DELETE, "/__sim/rate-limits", None)
        .await;
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert_eq!(exists().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}
