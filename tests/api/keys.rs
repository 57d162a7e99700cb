//! `wiselink keys rotate` re-seals every secret under the newest key while the service runs.

mod hsm;

use crate::helpers::{TestApp, customer_body, json, run_cli, spawn_app_mailing_to};
use crate::mail_sink::MailSink;
use reqwest::{Method, StatusCode};
use serde_json::json;
use wiselink::crypto::{Aad, KeyRing};

async fn active_link(app: &TestApp, n: usize) -> String {
    let email = format!("rot{n}@example.com");
    let mut body = customer_body();
    body["email"] = json!(email);
    app.put_customer(&format!("rot-{n}"), &body).await;
    app.sim().seed(&email, json!({})).await;
    let link = json(
        app.authed(Method::POST, "/v1/links")
            .header("Idempotency-Key", format!("rot-start-{n}"))
            .json(&json!({"customer_ref": format!("rot-{n}")}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = link["id"].as_str().unwrap().to_owned();
    let code = app.sim().latest_code(&email).await;
    let done = app
        .client
        .post(app.url(&format!("/v1/links/{id}/code")))
        .bearer_auth(link["link_session_token"].as_str().unwrap())
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(json(done).await["state"], "active");
    id
}

#[tokio::test]
async fn rotation_reseals_every_secret_while_the_service_keeps_serving() {
    let old = KeyRing::generate_entry("k2025");
    let new = KeyRing::generate_entry("k2026");
    // The mail server is down, so the six emails stay queued (sealed) through the rotation, with
    // the three reminders, scheduled.
    let sink = MailSink::down();
    let first =
        spawn_app_mailing_to(sink.clone(), &[("WISELINK__CRYPTO__KEYS", old.as_str())]).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(active_link(&first, n).await);
    }
    // A webhook endpoint mid-rotation of its own secret: two sealed secrets.
    let endpoint = json(
        first
            .authed(Method::POST, "/v1/webhook-endpoints")
            .json(&json!({"url": "http://127.0.0.1:9/hooks", "events": ["*"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let endpoint_id = endpoint["id"].as_str().unwrap().to_owned();
    let rotated = first
        .authed(
            Method::POST,
            &format!("/v1/webhook-endpoints/{endpoint_id}/rotate-secret"),
        )
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), StatusCode::OK);
    let partner_key = first.api_key.clone();
    // Every instance learns the new key first (as the newest), then the rotation runs.
    let ring = format!("{old},{new}");
    let app = first
        .restart_with(&[("WISELINK__CRYPTO__KEYS", ring.as_str())])
        .await;
    let db_url = app.database().url().to_owned();
    let rotate = tokio::task::spawn_blocking({
        let ring = ring.clone();
        move || {
            run_cli(
                &["keys", "rotate"],
                &[
                    ("WISELINK__DATABASE__URL", db_url.as_str()),
                    ("WISELINK__CRYPTO__KEYS", ring.as_str()),
                ],
                None,
            )
        }
    });
    for _ in 0..10 {
        let requests = ids.iter().map(|id| {
            app.authed(Method::POST, &format!("/v1/links/{id}/access-token"))
                .send()
        });
        for r in futures_util::future::join_all(requests).await {
            assert_eq!(
                r.unwrap().status(),
                StatusCode::OK,
                "tokens stay usable during the rotation"
            );
        }
    }
    let out = rotate.await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let progress = String::from_utf8_lossy(&out.stderr);
    for line in [
        "keys rotate: links: 3 to examine",
        "keys rotate: links: done, 3 examined",
        "keys rotate: queued emails: 9 to examine",
        "keys rotate: webhook endpoints: done, 1 examined",
    ] {
        assert!(progress.contains(line), "{line:?} in {progress}");
    }
    assert!(
        stdout.contains("examined 3 links, 9 queued emails, 3 stored responses, 0 staff TOTP secrets, 1 webhook endpoints and 0 staff sign-in sessions: re-sealed 26 values with key k2026"),
        "{stdout}"
    );

    // Only the new key is needed from now on.
    let only_new = KeyRing::parse(std::slice::from_ref(&new)).unwrap();
    let db = app.db.clone();
    let rows = tokio::task::spawn_blocking(move || {
        let mut conn = db.get().unwrap();
        wiselink::db::links::batch_after(&mut conn, "", 100).unwrap()
    })
    .await
    .unwrap();
    for link in &rows {
        for column in wiselink::db::links::SealedColumn::ALL {
            let sealed = column.of(link).expect("sealed value");
            assert!(!only_new.needs_rotation(sealed));
            only_new
                .open(
                    sealed,
                    Aad {
                        table: "links",
                        column: column.name(),
                        row: link.id.as_str(),
                    },
                )
                .expect("opens with the new key");
        }
    }
    let messages = tokio::task::spawn_blocking({
        let db = app.db.clone();
        move || wiselink::db::outbox::sealed_after(&mut db.get().unwrap(), 0, 100).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(messages.len(), 9);
    for (_, message_id, sealed) in &messages {
        let aad = Aad {
            table: "outbox",
            column: "payload",
            row: message_id,
        };
        only_new
            .open(sealed, aad)
            .expect("queued email opens with the new key");
    }
    let secrets = tokio::task::spawn_blocking({
        let db = app.db.clone();
        move || wiselink::db::webhooks::sealed_after(&mut db.get().unwrap(), "", 100).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(secrets.len(), 1);
    let (id, secret, previous) = &secrets[0];
    for sealed in [secret, previous.as_ref().expect("the previous secret")] {
        let aad = Aad {
            table: "webhook_endpoints",
            column: "secret",
            row: id,
        };
        let text = only_new
            .open(sealed, aad)
            .expect("a webhook secret opens with the new key");
        assert!(text.starts_with(b"whsec_"));
    }
    let again = run_cli(
        &["keys", "rotate"],
        &[
            ("WISELINK__DATABASE__URL", app.database().url()),
            ("WISELINK__CRYPTO__KEYS", ring.as_str()),
        ],
        None,
    );
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("re-sealed 0 values"),
        "a second run has nothing to do"
    );
    let after = app
        .restart_with(&[("WISELINK__CRYPTO__KEYS", new.as_str())])
        .await;
    let r = after
        .authed(Method::POST, &format!("/v1/links/{}/access-token", ids[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the service runs with the old key dropped"
    );
    let replay = after
        .client
        .post(after.url("/v1/links"))
        .bearer_auth(&partner_key)
        .header("Idempotency-Key", "rot-start-0")
        .json(&json!({"customer_ref": "rot-0"}))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(
        json(replay).await["id"],
        ids[0].as_str(),
        "a stored response opens with the new key"
    );
    sink.listen();
    for n in 0..3 {
        sink.wait_for(&format!("rot{n}@example.com"), 2).await;
    }
}

#[test]
fn generate_prints_a_usable_key() {
    let out = run_cli(&["keys", "generate", "--id", "2026-11"], &[], None);
    let entry = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(entry.starts_with("2026-11:"));
    assert!(KeyRing::parse(&[entry]).is_ok());
    let bad = run_cli(&["keys", "generate", "--id", "bad id!"], &[], None);
    assert!(!bad.status.success());
    // Works before the configuration is complete: production refuses the development key, and
    // this is how an operator makes the one it asks for.
    let production = run_cli(
        &["keys", "generate", "--id", "prod-1"],
        &[("WISELINK_ENV", "production")],
        None,
    );
    assert!(production.status.success(), "{production:?}");
    let entry = String::from_utf8_lossy(&production.stdout)
        .trim()
        .to_owned();
    assert!(KeyRing::parse(&[entry]).is_ok());
}
