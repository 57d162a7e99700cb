//! actix-web runs each HTTP worker on a runtime of its own and, on SIGTERM, stops each worker's
//! runtime once that worker's own requests are done. The Wise client's connection pool is shared
//! by all of them, so a request in flight may be on a connection another worker opened.

use crate::helpers::{registration_code, spawn_sim};
use serde_json::json;
use std::time::Duration;
use wiselink::wise::CreateUserOutcome;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_flight_outlives_the_runtime_that_opened_its_connection() {
    let sim = spawn_sim().await;
    let (opened, opened_rx) = tokio::sync::oneshot::channel();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // A worker's runtime: it fetches the client token (the pool's one connection is opened
    // there), serves on until told to stop, then ends.
    let wise = sim.wise.clone();
    let worker = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            wise.client_token().await.unwrap();
            opened.send(()).unwrap();
            let _ = stop_rx.await;
        });
    });
    opened_rx.await.unwrap();
    assert_eq!(sim.calls_to("/oauth/token").await, 1);

    // Wise takes the next request, then answers it 800 ms later; meanwhile that worker stops.
    sim.fault(json!({"endpoint": "/v1/user/signup/registration_code", "answer_latency_ms": 800}))
        .await;
    let wise = sim.wise.clone();
    let call = tokio::spawn(async move {
        wise.create_user("inflight@example.com", &registration_code(), "EN", false)
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(()).unwrap();
    tokio::task::spawn_blocking(move || worker.join().unwrap())
        .await
        .unwrap();

    let created = call.await.unwrap();
    assert!(
        matches!(created, Ok(CreateUserOutcome::Created(_))),
        "the answer arrived: {created:?}"
    );
    assert_eq!(
        sim.calls_to("/v1/user/signup/registration_code").await,
        1,
        "sent once"
    );
}
