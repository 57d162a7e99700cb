//! `kill -9` of `serve` between link changes and their deliveries, twenty times over: every event
//! reaches the receiver, none is lost, a repeat has the same `webhook-id` and body, and each
//! link's events are first accepted in the order they happened.

use crate::helpers::{
    TestDatabase, cli_api_key, customer_body, free_port, serve_command, spawn_sim,
    wait_until_serving,
};
use crate::mail_sink::MailSink;
use crate::webhook_receiver::{Receiver, verified};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::Child;
use std::time::Duration;

const KILLS: usize = 20;

fn serve(db_url: &str, port: u16, sim: &crate::helpers::TestSim, sink: &MailSink) -> Child {
    serve_command(db_url, port, sim, sink)
        .env("WISELINK__WEBHOOKS__DELIVERY_INTERVAL_MS", "50")
        .env("WISELINK__WEBHOOKS__TIMEOUT_SECS", "2")
        .env("WISELINK__WEBHOOKS__LEASE_SECS", "4")
        .spawn()
        .expect("serve starts")
}

#[tokio::test]
async fn no_event_is_lost_when_serve_is_killed_between_a_change_and_its_delivery() {
    let database = TestDatabase::create();
    let sim = spawn_sim().await;
    let sink = MailSink::start();
    let db_url = database.url().to_owned();
    let key = cli_api_key(&db_url, "crash");
    let receiver = Receiver::start().await;
    let client = Client::new();
    let mut secret = String::new();

    for round in 0..KILLS {
        let port = free_port();
        let mut child = serve(&db_url, port, &sim, &sink);
        let base = format!("http://127.0.0.1:{port}");
        wait_until_serving(&client, &base).await;
        let api = |method: reqwest::Method, path: &str| {
            client
                .request(method, format!("{base}{path}"))
                .bearer_auth(&key)
        };
        if round == 0 {
            let endpoint: Value = api(reqwest::Method::POST, "/v1/webhook-endpoints")
                .json(&json!({"url": receiver.url, "events": ["*"]}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            secret = endpoint["secret"].as_str().unwrap().to_owned();
        }
        // Slower answers some rounds, so the kill lands mid-delivery as well as before one.
        receiver.delay(Duration::from_millis((round as u64 % 4) * 60));
        let email = format!("crash{round}@example.com");
        let mut body = customer_body();
        body["email"] = json!(email);
        let customer = api(
            reqwest::Method::PUT,
            &format!("/v1/customers/crash-{round}"),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
        assert_eq!(customer.status(), StatusCode::CREATED);
        sim.seed(&email, json!({})).await;
        let link: Value = api(reqwest::Method::POST, "/v1/links")
            .json(&json!({"customer_ref": format!("crash-{round}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = link["id"].as_str().unwrap();
        let code = sim.latest_code(&email).await;
        let done = client
            .post(format!("{base}/v1/links/{id}/code"))
            .bearer_auth(link["link_session_token"].as_str().unwrap())
            .json(&json!({"code": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), StatusCode::OK);
        tokio::time::sleep(Duration::from_millis((round as u64 * 37) % 150)).await;
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
    }

    // One more instance, left running, delivers whatever the killed ones left behind.
    let port = free_port();
    let mut child = serve(&db_url, port, &sim, &sink);
    let base = format!("http://127.0.0.1:{port}");
    wait_until_serving(&client, &base).await;
    let (c, b, k) = (&client, &base, &key);
    let feed = || async move {
        let page: Value = c
            .get(format!("{b}/v1/events?limit=200"))
            .bearer_auth(k)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        page["items"].as_array().unwrap().clone()
    };
    let mut events = feed().await;
    // Events the killed processes wrote but had not yet given a feed position are placed by now.
    for _ in 0..100 {
        if events.len() == 2 * KILLS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        events = feed().await;
    }
    assert_eq!(events.len(), 2 * KILLS, "two events per link in the feed");
    let ids: Vec<String> = events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    receiver
        .wait_until("every event accepted", |got| {
            ids.iter().all(|id| {
                got.iter()
                    .any(|r| r.webhook_id() == id && (200..300).contains(&r.status))
            })
        })
        .await;
    child.kill().unwrap();
    child.wait().unwrap();

    let accepted = receiver.accepted();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    let mut bodies: HashMap<String, String> = HashMap::new();
    for (n, delivery) in accepted.iter().enumerate() {
        let id = delivery.webhook_id().to_owned();
        assert!(ids.contains(&id), "only events of the feed are delivered");
        first_seen.entry(id.clone()).or_insert(n);
        let body = bodies.entry(id).or_insert_with(|| delivery.body.clone());
        assert_eq!(*body, delivery.body, "a repeat is the same event");
    }
    for pair in events.chunks(2) {
        let (earlier, later) = (
            pair[0]["id"].as_str().unwrap(),
            pair[1]["id"].as_str().unwrap(),
        );
        assert_eq!(pair[0]["data"]["link_id"], pair[1]["data"]["link_id"]);
        assert_eq!(
            (pair[0]["type"].as_str(), pair[1]["type"].as_str()),
            (Some("link.awaiting_code"), Some("link.active"))
        );
        assert!(
            first_seen[earlier] < first_seen[later],
            "a link's later event never overtakes its earlier one"
        );
    }
    assert!(verified(&secret, &accepted).iter().all(|ok| *ok));
    eprintln!(
        "{} events, {} accepted deliveries ({} repeats after kills)",
        ids.len(),
        accepted.len(),
        accepted.len() - ids.len()
    );
}
