//! The customer's code-entry page (`/link/{session token}`), over real HTTP as a browser sends it:
//! form posts, HTML answers. A real browser drives the same page in `tests/browser/`.

use crate::helpers::{TestApp, json, spawn_app, spawn_app_with};
use crate::helpers::{awaiting_code, code_exchanges, customer, start};
use reqwest::{Response, StatusCode};
use serde_json::json;

async fn open(app: &TestApp, session: &str) -> Response {
    app.client
        .get(app.url(&format!("/link/{session}")))
        .send()
        .await
        .unwrap()
}

async fn post_form(app: &TestApp, session: &str, fields: &[(&str, &str)]) -> Response {
    app.client
        .post(app.url(&format!("/link/{session}")))
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// The page's text without markup, so that assertions read like what the customer sees.
async fn text(response: Response) -> String {
    let html = response.text().await.unwrap();
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#39;", "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

async fn state_of(app: &TestApp, id: &str) -> String {
    app.get_json(&format!("/v1/links/{id}")).await["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_emailed_page_takes_the_code_and_links_the_account() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "p-1", "page@example.com", json!({})).await;
    // The customer follows the URL in wiselink's email.
    let mail = app.mail.wait_for("page@example.com", 1).await;
    let path = mail[0]
        .text
        .split("http://127.0.0.1:8080")
        .find_map(|rest| {
            rest.starts_with("/link/")
                .then(|| rest.split_whitespace().next())
        })
        .flatten()
        .unwrap()
        .to_owned();
    assert_eq!(path, format!("/link/{session}"));

    let page = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<form method="post">"#), "{html}");
    assert!(html.contains(r#"name="code""#));
    assert!(!html.contains(&session), "the page never repeats its token");
    assert!(!html.contains(&code));

    // Typed the way people type codes: spaces around and inside.
    let typed = format!(" {} {} ", &code[..3], &code[3..]);
    let done = post_form(&app, &session, &[("code", &typed)]).await;
    assert_eq!(done.status(), StatusCode::OK);
    let body = text(done).await;
    assert!(body.contains("Your Wise account is linked"), "{body}");
    assert!(!body.contains(&session));
    assert_eq!(state_of(&app, &id).await, "active");
    assert_eq!(code_exchanges(&app).await, 1);

    // Reloading, or sending the form again, shows the outcome and calls Wise no more.
    let again = post_form(&app, &session, &[("code", &code)]).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(text(again).await.contains("Your Wise account is linked"));
    assert!(
        text(open(&app, &session).await)
            .await
            .contains("Your Wise account is linked")
    );
    assert_eq!(code_exchanges(&app).await, 1);

    let css = app
        .client
        .get(app.url("/assets/wiselink.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn wrong_and_malformed_codes_say_what_to_do_and_five_wrong_ones_lock() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "p-2", "wrong@example.com", json!({})).await;
    // Five different wrong codes (the same wrong code twice is "already used", not a new try).
    let wrongs: Vec<String> = (1..=5).map(|n| format!("Wrong{n}")).collect();
    assert!(!wrongs.contains(&code));
    let wrong = wrongs[0].as_str();

    let first = post_form(&app, &session, &[("code", wrong)]).await;
    assert_eq!(first.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = text(first).await;
    assert!(body.contains("Wise did not accept that code"), "{body}");
    assert!(body.contains("4 attempts left"), "{body}");
    assert!(
        body.contains("Code from Wise"),
        "the form is shown again: {body}"
    );

    // Not a code at all: refused here, Wise never asked, no attempt used.
    let calls = code_exchanges(&app).await;
    let junk = post_form(&app, &session, &[("code", "<script>")]).await;
    assert_eq!(junk.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = text(junk).await;
    assert!(
        body.contains("does not look like a code from Wise"),
        "{body}"
    );
    assert!(body.contains("4 attempts left"), "{body}");
    assert_eq!(code_exchanges(&app).await, calls);
    for fields in [&[("code", "")][..], &[("something", "else")][..]] {
        let r = post_form(&app, &session, fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
    }
    let json_body = app
        .client
        .post(app.url(&format!("/link/{session}")))
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(text(json_body).await.contains("The form could not be read"));

    for (left, wrong) in (1..4).rev().zip(&wrongs[1..4]) {
        let r = post_form(&app, &session, &[("code", wrong)]).await;
        let body = text(r).await;
        let expected = if left == 1 {
            "1 attempt left".to_owned()
        } else {
            format!("{left} attempts left")
        };
        assert!(body.contains(&expected), "{body}");
    }
    let locked = post_form(&app, &session, &[("code", &wrongs[4])]).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = text(locked).await;
    assert!(body.contains("Too many wrong codes"), "{body}");
    assert!(
        !body.contains("Code from Wise"),
        "no form once locked: {body}"
    );
    assert_eq!(state_of(&app, &id).await, "locked");
    // The right code no longer helps.
    let late = post_form(&app, &session, &[("code", &code)]).await;
    assert!(text(late).await.contains("Too many wrong codes"));
    assert_eq!(state_of(&app, &id).await, "locked");
}

#[tokio::test]
async fn each_outcome_has_its_own_page_without_the_reasons_behind_a_review() {
    let app = spawn_app().await;
    let (_, session, code) = awaiting_code(
        &app,
        "p-3",
        "dob@example.com",
        json!({"date_of_birth": "1985-01-01"}),
    )
    .await;
    let r = post_form(&app, &session, &[("code", &code)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = text(r).await;
    assert!(body.contains("We are checking a few details"), "{body}");
    assert!(
        !body.contains("1985") && !body.contains("1990"),
        "no DOB on the page: {body}"
    );

    let (_, session, code) =
        awaiting_code(&app, "p-4", "none@example.com", json!({"profiles": []})).await;
    let body = text(post_form(&app, &session, &[("code", &code)]).await).await;
    assert!(
        body.contains("We could not link this Wise account"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_and_ended_sessions_get_the_expired_page() {
    let app = spawn_app().await;
    for token in ["wls_notatoken", "nothing-like-a-token"] {
        let r = open(&app, token).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{token}");
        assert!(text(r).await.contains("This link has expired"));
        let r = post_form(&app, token, &[("code", "G2s8EJ")]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{token}");
    }
    // Unlinking ends the session.
    let (id, session, code) = awaiting_code(&app, "p-5", "gone@example.com", json!({})).await;
    let unlinked = app
        .authed(reqwest::Method::DELETE, &format!("/v1/links/{id}"))
        .send()
        .await
        .unwrap();
    assert!(unlinked.status().is_success());
    let r = post_form(&app, &session, &[("code", &code)]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(text(r).await.contains("This link has expired"));
    assert_eq!(code_exchanges(&app).await, 0);
}

#[tokio::test]
async fn a_new_code_is_offered_but_not_before_wise_may_send_one() {
    let app = spawn_app().await;
    let (_, session, _) = awaiting_code(&app, "p-6", "again@example.com", json!({})).await;
    let page = text(open(&app, &session).await).await;
    assert!(page.contains("Email me a new code"), "{page}");
    assert!(page.contains("You can ask for a new code from"), "{page}");

    let soon = post_form(&app, &session, &[("action", "resend")]).await;
    assert_eq!(soon.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = soon.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body = text(soon).await;
    assert!(body.contains("You can ask for a new one in"), "{body}");
    assert_eq!(app.sim().mailbox("again@example.com").await.len(), 1);
}

#[tokio::test]
async fn the_page_counts_against_the_per_address_limit() {
    let app =
        spawn_app_with(&[("WISELINK__LIMITS__CODE_SUBMISSIONS_PER_IP_PER_MINUTE", "2")]).await;
    customer(&app, "p-7", "busy@example.com", Some(json!({}))).await;
    let link = json(start(&app, "p-7").await).await;
    let session = link["link_session_token"].as_str().unwrap();
    for _ in 0..2 {
        let r = post_form(&app, session, &[("code", "AAAAAA")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let calls = code_exchanges(&app).await;
    let limited = post_form(&app, session, &[("code", "AAAAAA")]).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    assert!(
        text(limited)
            .await
            .contains("Too many attempts from your network")
    );
    assert_eq!(code_exchanges(&app).await, calls, "Wise not asked");
    // Reading the page is not limited.
    assert_eq!(open(&app, session).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_new_code_from_the_page_resets_the_attempts_and_arrives_from_wise() {
    let app = spawn_app().await;
    let (id, session, first) = awaiting_code(&app, "p-8", "resend@example.com", json!({})).await;
    let r = post_form(&app, &session, &[("code", "Wrong1")]).await;
    assert!(text(r).await.contains("4 attempts left"));
    app.advance(chrono::Duration::seconds(61));

    let r = post_form(&app, &session, &[("action", "resend")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = text(r).await;
    assert!(body.contains("Wise is emailing you a new code"), "{body}");
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
