//! wiselink's own emails: queued in the outbox with the state change, delivered over real SMTP
//! (an in-process server), retried with the same Message-ID, kept by the dev transport.

use crate::helpers::{TestApp, json, spawn_app, spawn_app_mailing_to, spawn_app_with};
use crate::helpers::{awaiting_code, customer, start, submit};
use crate::mail_sink::MailSink;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// Waits until `sql` (a `SELECT COUNT(*) AS n …`) counts at least `n` rows.
async fn eventually_n(app: &TestApp, n: i64, sql: &'static str) {
    for _ in 0..200 {
        if app.count(sql).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never {n} rows: {sql}");
}

/// Waits until `sql` counts at least one row.
async fn eventually(app: &TestApp, sql: &'static str) {
    eventually_n(app, 1, sql).await;
}

#[tokio::test]
async fn the_customer_gets_a_finish_linking_email_then_a_linked_email() {
    let app = spawn_app().await;
    customer(&app, "c-m", "mail.me@example.com", Some(json!({}))).await;
    let link = json(start(&app, "c-m").await).await;
    let session = link["link_session_token"].as_str().unwrap();
    let id = link["id"].as_str().unwrap();

    let mail = app.mail.wait_for("mail.me@example.com", 1).await;
    let finish = &mail[0];
    assert_eq!(finish.subject, "Finish linking your Wise account");
    assert!(
        finish
            .raw
            .contains("From: wiselink <no-reply@wiselink.localhost>")
    );
    let page = format!("http://127.0.0.1:8080/link/{session}");
    // When the code stops working, as the API said (minute precision).
    let expires = link["next_action"]["code_expires_at"].as_str().unwrap();
    let expires = expires[..16].replace('T', " ");
    for part in [&finish.text, &finish.html] {
        assert!(part.contains(&page), "code-entry URL missing: {part}");
        assert!(part.contains(&expires), "expiry {expires} missing: {part}");
        assert!(part.contains("Hello Ada"), "{part}");
    }
    assert!(
        finish.message_id.ends_with("@wiselink.localhost"),
        "{}",
        finish.message_id
    );

    let code = app.sim().latest_code("mail.me@example.com").await;
    let done = json(submit(&app, id, session, &code).await).await;
    assert_eq!(done["state"], "active");
    let mail = app.mail.wait_for("mail.me@example.com", 2).await;
    assert_eq!(mail[1].subject, "Your Wise account is linked");
    assert!(mail[1].text.contains("(mail.me@example.com) is now linked"));
    assert!(
        !mail[1].text.contains(session),
        "only the first email opens the page"
    );
    assert_ne!(mail[0].message_id, mail[1].message_id);

    // Delivered messages leave no content behind.
    eventually_n(
        &app,
        2,
        "SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent' AND payload IS NULL \
         AND transport = 'smtp'",
    )
    .await;
}

#[tokio::test]
async fn a_link_that_needs_review_sends_no_linked_email() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(
        &app,
        "c-r",
        "review.me@example.com",
        json!({"date_of_birth": "1980-01-01"}),
    )
    .await;
    let done = json(submit(&app, &id, &session, &code).await).await;
    assert_eq!(done["state"], "needs_review");
    app.mail.wait_for("review.me@example.com", 1).await;
    // Mail is queued in the transaction of the change that causes it: no row now, no mail ever.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'linked'")
            .await,
        0
    );
    let subjects: Vec<String> = app
        .mail
        .to("review.me@example.com")
        .into_iter()
        .map(|m| m.subject)
        .collect();
    assert_eq!(subjects, ["Finish linking your Wise account"]);
}

#[tokio::test]
async fn a_partner_created_user_gets_the_linked_email() {
    let app = spawn_app().await;
    customer(&app, "c-n", "brand.new@example.com", None).await;
    let link = json(start(&app, "c-n").await).await;
    assert_eq!(link["state"], "active");
    let mail = app.mail.wait_for("brand.new@example.com", 1).await;
    assert_eq!(mail[0].subject, "Your Wise account is linked");
    assert!(
        mail[0]
            .text
            .contains("A Wise account was opened for brand.new@example.com")
    );
}

#[tokio::test]
async fn smtp_down_then_up_delivers_every_email_once_across_instances() {
    let sink = MailSink::down();
    let app = spawn_app_mailing_to(sink.clone(), &[]).await;
    customer(&app, "c-d", "down@example.com", Some(json!({}))).await;
    // The API does not wait for the mail server.
    assert_eq!(start(&app, "c-d").await.status(), StatusCode::CREATED);
    eventually(
        &app,
        "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending' AND attempts >= 2 \
         AND last_error IS NOT NULL AND payload IS NOT NULL",
    )
    .await;
    assert!(sink.delivered().is_empty());

    // A second instance on the same database: two relays now compete for the queued message.
    let app = app.restart_with(&[]).await;
    sink.listen();
    let mail = sink.wait_for("down@example.com", 1).await;
    assert_eq!(mail[0].subject, "Finish linking your Wise account");
    eventually(
        &app,
        "SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent' AND last_error IS NULL",
    )
    .await;
    // Only a pending message is ever leased again: with none left, nothing more can go out.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'")
            .await,
        0
    );
    assert_eq!(sink.delivered().len(), 1, "delivered once");
}

#[tokio::test]
async fn a_refused_delivery_is_retried_with_the_same_message_id() {
    let app = spawn_app().await;
    app.mail.refuse_next(2);
    customer(&app, "c-t", "retry@example.com", Some(json!({}))).await;
    start(&app, "c-t").await;
    let delivered = app.mail.wait_for("retry@example.com", 1).await;
    let attempts = app.mail.attempts();
    assert_eq!(attempts.len(), 3, "two refusals, then accepted");
    assert!(
        attempts
            .iter()
            .all(|a| a.message_id == delivered[0].message_id
                && (&a.subject, &a.text, &a.html)
                    == (
                        &delivered[0].subject,
                        &delivered[0].text,
                        &delivered[0].html
                    )),
        "every attempt sends the same message under the same Message-ID"
    );
    let dated: Vec<_> = attempts
        .iter()
        .map(|a| {
            a.raw
                .lines()
                .find(|l| l.starts_with("Date: "))
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(dated.iter().all(|d| *d == dated[0]), "{dated:?}");
    eventually(
        &app,
        "SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent' AND attempts = 3",
    )
    .await;
}

#[tokio::test]
async fn the_dev_transport_keeps_mail_for_the_dev_mailbox() {
    let app = spawn_app_with(&[("WISELINK__MAIL__TRANSPORT", "dev")]).await;
    customer(&app, "c-v", "dev.box@example.com", Some(json!({}))).await;
    let link = json(start(&app, "c-v").await).await;
    let session = link["link_session_token"].as_str().unwrap();
    let mut messages = Vec::new();
    for _ in 0..100 {
        let r = app
            .client
            .get(app.url("/dev/mailbox.json?to=dev.box@example.com"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        messages = r.json::<Vec<Value>>().await.unwrap();
        if !messages.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["subject"], "Finish linking your Wise account");
    assert!(messages[0]["text"].as_str().unwrap().contains(session));
    // Oldest first, like the simulator's mailbox, with RFC 3339 times.
    let id = link["id"].as_str().unwrap();
    let code = app.sim().latest_code("dev.box@example.com").await;
    assert_eq!(
        json(submit(&app, id, session, &code).await).await["state"],
        "active"
    );
    for _ in 0..100 {
        messages = json(
            app.client
                .get(app.url("/dev/mailbox.json?to=dev.box@example.com"))
                .send()
                .await
                .unwrap(),
        )
        .await
        .as_array()
        .cloned()
        .unwrap_or_default();
        if messages.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let subjects: Vec<&str> = messages
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        [
            "Finish linking your Wise account",
            "Your Wise account is linked"
        ]
    );
    for m in &messages {
        let sent_at = m["sent_at"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(sent_at).is_ok(),
            "{sent_at}"
        );
    }
    let page = app
        .client
        .get(app.url("/dev/mailbox"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Finish linking your Wise account") && html.contains("dev.box@example.com")
    );
    assert!(app.mail.delivered().is_empty(), "nothing left over SMTP");
    // Kept sealed in the database, like everything that can hold a secret.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM outbox WHERE transport = 'dev' AND payload IS NOT NULL"
        )
        .await,
        2,
        "both messages kept"
    );
}

#[tokio::test]
async fn the_dev_mailbox_does_not_exist_with_a_real_transport() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/dev/mailbox"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_file_transport_writes_one_eml_per_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outgoing");
    let app = spawn_app_with(&[
        ("WISELINK__MAIL__TRANSPORT", "file"),
        ("WISELINK__MAIL__FILE_DIR", path.to_str().unwrap()),
    ])
    .await;
    customer(&app, "c-f", "file.me@example.com", Some(json!({}))).await;
    start(&app, "c-f").await;
    eventually(
        &app,
        "SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent' AND transport = 'file'",
    )
    .await;
    let files: Vec<_> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        raw.contains("To: file.me@example.com") && raw.contains("Message-ID: <"),
        "{raw}"
    );
    assert!(raw.contains("Subject: Finish linking your Wise account"));
}
