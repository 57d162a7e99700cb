//! A name checked at registration is checked again at every connection: when its DNS answer
//! moves to a private address, wiselink stops connecting, whatever it saw before. Names are
//! served by a real DNS server (dnsmasq) that wiselink asks through `webhooks.dns_server`.

use super::*;
use crate::dns_server::DnsServer;

/// The delivery log of one endpoint.
async fn log(app: &TestApp, endpoint_id: &str) -> Vec<Value> {
    app.get_json(&format!("/v1/webhook-deliveries?endpoint_id={endpoint_id}"))
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_name_whose_answer_moves_to_a_private_address_after_registration_is_not_connected_to() {
    let dns = DnsServer::start();
    dns.answer("hooks.rebind.test", "127.0.0.1").await;
    dns.answer("inside.rebind.test", "10.0.0.8").await;
    let app = app_with(&[("WISELINK__WEBHOOKS__DNS_SERVER", &dns.addr.to_string())]).await;
    let receiver = Receiver::start().await;
    // Every delivery opens its own connection, so every one resolves the name again.
    receiver.close_connections();

    // At registration the name is looked up at that server: a private answer is refused...
    let inside = receiver.url.replace("127.0.0.1", "inside.rebind.test");
    let refused = call(
        &app,
        Method::POST,
        "/v1/webhook-endpoints",
        Some(json!({"url": inside, "events": ["*"]})),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem(refused).await;
    assert_eq!(
        field_codes(&body),
        [("url".to_owned(), "url_not_public".to_owned())]
    );
    assert!(body.to_string().contains("10.0.0.8"), "{body}");

    // ...and a loopback answer is accepted (the development environment allows loopback).
    let url = receiver.url.replace("127.0.0.1", "hooks.rebind.test");
    let endpoint = register(&app, &url, json!(["*"])).await;
    let endpoint_id = endpoint["id"].as_str().unwrap();
    linked(&app, "cust-rebind-1").await;
    let got = receiver.wait_accepted(2).await;
    assert_eq!(types(&got), ["link.awaiting_code", "link.active"]);

    // The name now answers with the cloud metadata address.
    dns.answer("hooks.rebind.test", "169.254.169.254").await;
    awaiting_code(
        &app,
        "cust-rebind-2",
        "cust-rebind-2@example.com",
        json!({}),
    )
    .await;
    let mut refused_attempt = Value::Null;
    for _ in 0..100 {
        let pending: Vec<Value> = log(&app, endpoint_id)
            .await
            .into_iter()
            .filter(|d| d["status"] == "pending")
            .collect();
        if let Some(attempt) = pending.first().and_then(|d| d["attempts"].get(0)) {
            refused_attempt = attempt.clone();
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(
        refused_attempt["status_code"],
        Value::Null,
        "{refused_attempt}"
    );
    let error = refused_attempt["error"].as_str().unwrap();
    assert!(
        error.starts_with("cannot connect") && error.contains("resolves to no public address"),
        "{refused_attempt}"
    );
    assert_eq!(receiver.received().len(), 2, "nothing reached the receiver");

    // Back on loopback, the retry (on its schedule) is delivered: it was the answer that stopped it.
    dns.answer("hooks.rebind.test", "127.0.0.1").await;
    app.advance(Duration::minutes(10));
    let got = receiver.wait_accepted(3).await;
    assert_eq!(types(&got)[2], "link.awaiting_code");
    assert_eq!(got[2].json()["data"]["customer_ref"], "cust-rebind-2");
}
