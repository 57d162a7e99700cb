//! The one reminder: a customer who has not typed the code `links.reminder_after_minutes` after
//! the start gets one email (their language, the code page's link) and the partner the event
//! `link.reminder_sent`; never a second one, none once the link moved on, one across instances.

use super::*;
use chrono::Duration as Minutes;

/// The reminder's subject in English.
const REMINDER: &str = "Reminder: finish linking your Wise account";

/// The partner's event feed: the types of the events of link `id`, in order.
async fn events_of(app: &TestApp, id: &str) -> Vec<String> {
    let feed = app.get_json("/v1/events?limit=100").await;
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["link_id"] == id)
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits (up to 5 s) until the feed shows exactly `expected` for link `id`: events get their
/// feed positions a moment after they are written.
async fn feed_shows(app: &TestApp, id: &str, expected: &[&str]) {
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = events_of(app, id).await;
        if seen == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the feed shows {seen:?} for {id}, not {expected:?}");
}

/// Waits for the recovery worker (every 100 ms in tests) to make a few passes.
async fn passes() {
    tokio::time::sleep(Duration::from_millis(600)).await;
}

#[tokio::test]
async fn a_customer_who_has_not_typed_the_code_gets_one_reminder_and_the_partner_hears_of_it() {
    let app = spawn_app().await;
    let email = "slow.typist@example.com";
    let (id, session, code) = awaiting_code(&app, "c-slow", email, json!({})).await;
    app.mail.wait_for(email, 1).await;

    // Not before it is due.
    app.advance(Minutes::minutes(14));
    passes().await;
    assert_eq!(app.mail.to(email).len(), 1, "not yet");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'reminder' AND status = 'scheduled' AND payload IS NOT NULL")
            .await,
        1,
        "kept back, sealed"
    );

    app.advance(Minutes::minutes(2));
    let mail = app.mail.wait_for(email, 2).await;
    let reminder = &mail[1];
    assert_eq!(reminder.subject, REMINDER);
    let page = format!("http://127.0.0.1:8080/link/{session}");
    for part in [&reminder.text, &reminder.html] {
        assert!(part.contains(&page), "the code page's link: {part}");
        assert!(part.contains("Hello Ada"), "{part}");
        assert!(part.contains("This is the only reminder"), "{part}");
    }
    feed_shows(&app, &id, &["link.awaiting_code", "link.reminder_sent"]).await;
    let timeline = app.event_names(&id).await;
    let reminded = timeline.iter().filter(|e| *e == "reminder_sent").count();
    assert_eq!(reminded, 1, "{timeline:?}");
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(
        link["state"], "awaiting_code",
        "a reminder changes no state"
    );

    // Never a second one, however long the customer waits.
    app.advance(Minutes::minutes(10));
    passes().await;
    assert_eq!(app.mail.to(email).len(), 2);
    // The code still works after the reminder.
    let done = json(submit(&app, &id, &session, &code).await).await;
    assert_eq!(done["state"], "active");
    feed_shows(
        &app,
        &id,
        &["link.awaiting_code", "link.reminder_sent", "link.active"],
    )
    .await;
}

#[tokio::test]
async fn a_link_that_moved_on_gets_no_reminder_and_its_content_is_dropped() {
    let app = spawn_app().await;
    let email = "quick.typist@example.com";
    let (id, session, code) = awaiting_code(&app, "c-quick", email, json!({})).await;
    let done = json(submit(&app, &id, &session, &code).await).await;
    assert_eq!(done["state"], "active");
    app.mail.wait_for(email, 2).await;
    app.advance(Minutes::minutes(16));
    eventually(
        &app,
        "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'reminder' AND status = 'cancelled' AND payload IS NULL",
    )
    .await;
    passes().await;
    let subjects: Vec<String> = app.mail.to(email).into_iter().map(|m| m.subject).collect();
    assert_eq!(
        subjects,
        [
            "Finish linking your Wise account",
            "Your Wise account is linked"
        ]
    );
    feed_shows(&app, &id, &["link.awaiting_code", "link.active"]).await;

    // A link whose code window closed unused gets none either: the code no longer works.
    let email = "too.late@example.com";
    awaiting_code(&app, "c-late", email, json!({})).await;
    app.advance(Minutes::minutes(31));
    eventually_n(
        &app,
        2,
        "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'reminder' AND status = 'cancelled'",
    )
    .await;
    assert_eq!(app.mail.to(email).len(), 1);
}

#[tokio::test]
async fn two_instances_send_each_reminder_once_in_the_customers_language() {
    let app = spawn_app().await;
    let second = app.second_instance(&[]).await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let email = format!("fleet.reminder{n}@example.com");
        let mut body = crate::helpers::customer_body();
        body["email"] = json!(email);
        body["language"] = json!(if n % 2 == 0 { "de" } else { "es" });
        let customer_ref = format!("c-fleet-{n}");
        assert_eq!(
            app.put_customer(&customer_ref, &body).await.status(),
            StatusCode::CREATED
        );
        app.sim().seed(&email, json!({})).await;
        let link = json(start(&app, &customer_ref).await).await;
        ids.push(link["id"].as_str().unwrap().to_owned());
        // Delivered before the clock jumps: a jump past a relay's lease while it sends would let
        // the other instance send the same message again (at least once, one Message-ID).
        app.mail.wait_for(&email, 1).await;
    }
    app.advance(Minutes::minutes(16));
    for n in 0..6 {
        let email = format!("fleet.reminder{n}@example.com");
        let mail = app.mail.wait_for(&email, 2).await;
        let subjects: Vec<&str> = mail.iter().map(|m| m.subject.as_str()).collect();
        let subject = if n % 2 == 0 {
            "Erinnerung: Verknüpfung Ihres Wise-Kontos abschließen"
        } else {
            "Recordatorio: termina de vincular tu cuenta de Wise"
        };
        assert!(subjects.contains(&subject), "{subjects:?}");
    }
    passes().await;
    for (n, id) in ids.iter().enumerate() {
        let email = format!("fleet.reminder{n}@example.com");
        let got: Vec<String> = app.mail.to(&email).into_iter().map(|m| m.subject).collect();
        assert_eq!(got.len(), 2, "one reminder: {got:?}");
        feed_shows(&app, id, &["link.awaiting_code", "link.reminder_sent"]).await;
    }
    assert_eq!(
        second
            .count("SELECT COUNT(*) AS n FROM link_events WHERE event = 'reminder_sent'")
            .await,
        6
    );
}

#[tokio::test]
async fn reminders_can_be_turned_off() {
    let app = spawn_app_with(&[("WISELINK__LINKS__REMINDER_AFTER_MINUTES", "0")]).await;
    let email = "no.reminder@example.com";
    awaiting_code(&app, "c-none", email, json!({})).await;
    app.mail.wait_for(email, 1).await;
    app.advance(Minutes::minutes(20));
    passes().await;
    assert_eq!(app.mail.to(email).len(), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'reminder'")
            .await,
        0
    );
}
