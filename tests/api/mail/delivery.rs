//! Delivery through a mail server that is down, or refuses: once, with the same Message-ID.

use super::*;

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
    // Only a pending message is ever leased again: with none left, nothing more can go out (the
    // reminder waits, scheduled, until it is due).
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE status NOT IN ('sent', 'scheduled')")
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
