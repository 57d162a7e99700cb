//! The form: the emailed page takes the code; wrong and malformed codes; the per-address limit.

use super::*;

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
    let markup = html(first).await;
    // A partner's own instance is not the demo: no DEMO label.
    assert!(!markup.contains("demo-label"), "{markup}");
    // The error is tied to the field it is about.
    assert!(
        markup.contains(r#"<p class="error" role="alert" id="code-error">"#),
        "{markup}"
    );
    assert!(
        markup.contains(r#"aria-invalid="true" aria-describedby="code-error code-help""#),
        "{markup}"
    );
    let body = plain(&markup);
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
async fn a_post_from_another_site_is_refused_before_anything_else() {
    let app = spawn_app().await;
    let (id, session, code) = awaiting_code(&app, "p-x", "cross@example.com", json!({})).await;
    let from = |headers: &[(&'static str, &'static str)]| {
        let mut request = app.client.post(app.url(&format!("/link/{session}")));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        request.form(&[("code", code.as_str())])
    };
    for headers in [
        &[("Sec-Fetch-Site", "cross-site")][..],
        &[("Origin", "https://evil.example")][..],
        &[("Origin", "null")][..],
        &[
            ("Sec-Fetch-Site", "same-site"),
            ("Origin", "http://127.0.0.1:8080"),
        ][..],
    ] {
        let refused = from(headers).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert!(
            text(refused)
                .await
                .contains("This was not sent from this page")
        );
    }
    // Nothing happened: Wise was not asked, no attempt was spent, the code still works.
    assert_eq!(code_exchanges(&app).await, 0);
    let link = app.get_json(&format!("/v1/links/{id}")).await;
    assert_eq!(link["attempts_remaining"], 5);
    // What Chromium sends from the page itself, whose referrer policy is no-referrer.
    let ours = from(&[("Origin", "null"), ("Sec-Fetch-Site", "same-origin")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        ours.status(),
        StatusCode::OK,
        "a post from the page itself (server.public_url)"
    );
    assert!(text(ours).await.contains("Your Wise account is linked"));
}
