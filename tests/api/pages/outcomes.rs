//! One page per outcome, and the page for sessions that ended.

use super::*;

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
