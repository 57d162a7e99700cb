//! Asking for a new code from the page, and the page after the code window.

use super::*;

#[tokio::test]
async fn a_new_code_is_offered_but_not_before_wise_may_send_one() {
    let app = spawn_app().await;
    let (_, session, _) = awaiting_code(&app, "p-6", "again@example.com", json!({})).await;
    let page = html(open(&app, &session).await).await;
    // The button is offered only once Wise may send again; until then the page says when.
    assert!(!page.contains("Email me a new code"), "{page}");
    assert!(
        page.contains("You can ask for a new code in 59 seconds (at <time datetime=\"")
            || page.contains("You can ask for a new code in 60 seconds (at <time datetime=\""),
        "{page}"
    );
    assert!(page.contains("data-reload-at=\""), "{page}");

    let soon = post_form(&app, &session, &[("action", "resend")]).await;
    assert_eq!(soon.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = soon.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body = html(soon).await;
    // Not a mistake of the customer's: a notice, not an error.
    assert!(
        body.contains(r#"<p class="notice" role="status">Wise has only just sent a code. You can ask for a new one in"#),
        "{body}"
    );
    assert!(!body.contains(r#"class="error""#), "{body}");
    assert_eq!(app.sim().mailbox("again@example.com").await.len(), 1);

    app.advance(chrono::Duration::seconds(61));
    let later = text(open(&app, &session).await).await;
    assert!(later.contains("Email me a new code"), "{later}");
    assert!(!later.contains("You can ask for a new code in"), "{later}");
}

#[tokio::test]
async fn a_new_code_from_the_page_resets_the_attempts_and_arrives_from_wise() {
    let app = spawn_app().await;
    let (id, session, first) = awaiting_code(&app, "p-8", "resend@example.com", json!({})).await;
    let r = post_form(&app, &session, &[("code", "Wrong1")]).await;
    assert!(text(r).await.contains("4 attempts left"));
    let page = text(open(&app, &session).await).await;
    assert!(!page.contains("Email me a new code"), "not yet: {page}");
    app.advance(chrono::Duration::seconds(61));

    let r = post_form(&app, &session, &[("action", "resend")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = text(r).await;
    assert!(body.contains("Wise is emailing you again."), "{body}");
    assert!(body.contains("5 attempts left"), "{body}");
    let mailbox = app.sim().mailbox("resend@example.com").await;
    assert_eq!(mailbox.len(), 2, "Wise sent a second email");
    let second = mailbox[1]["authorization_code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);

    let done = post_form(&app, &session, &[("code", &second)]).await;
    assert!(text(done).await.contains("Your Wise account is linked"));
    assert_eq!(state_of(&app, &id).await, "active");
}

#[tokio::test]
async fn after_the_code_window_the_page_offers_a_new_code_instead_of_the_form() {
    let app = spawn_app().await;
    let (_, session, code) = awaiting_code(&app, "p-9", "late@example.com", json!({})).await;
    app.advance(chrono::Duration::minutes(31));
    let page = text(open(&app, &session).await).await;
    assert!(page.contains("Your code has expired"), "{page}");
    assert!(page.contains("Email me a new code"), "{page}");
    assert!(!page.contains("Code from Wise"), "no code form: {page}");

    let late = post_form(&app, &session, &[("code", &code)]).await;
    assert_eq!(late.status(), StatusCode::GONE);
    assert!(
        text(late)
            .await
            .contains("The time to enter this code has run out")
    );
    assert_eq!(code_exchanges(&app).await, 0);
}
