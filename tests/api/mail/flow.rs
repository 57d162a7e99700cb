//! Which emails a link sends, and when it sends none.

use super::*;

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
    let expires = chrono::DateTime::parse_from_rfc3339(expires)
        .unwrap()
        .format("%-d %B %Y, %H:%M UTC")
        .to_string();
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
