//! The review screen as staff use it: the queue, the side-by-side comparison (masked for
//! viewers), approving (with the password again after 5 minutes), rejecting, unlocking a locked
//! link, two reviewers at once, and four-eyes.

use crate::helpers::{
    STAFF_PASSWORD, TestApp, awaiting_code, in_review, json, spawn_app, spawn_app_with, submit,
};
use reqwest::StatusCode;
use serde_json::json;

/// A link locked by five wrong codes.
async fn locked(app: &TestApp, customer_ref: &str) -> String {
    let email = format!("{customer_ref}@example.com");
    let (id, session, _) = awaiting_code(app, customer_ref, &email, json!({})).await;
    for n in 1..=5 {
        submit(app, &id, &session, &format!("Wrong{n}")).await;
    }
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "locked"
    );
    id
}

#[tokio::test]
async fn the_queue_and_the_comparison_show_why_a_link_is_here() {
    let app = spawn_app().await;
    let id = in_review(&app, "swapped").await;
    locked(&app, "locked-one").await;
    app.add_staff("rita", "reviewer");
    app.add_staff("vic", "viewer");
    let reviewer = app.staff("rita").await;

    let queue = reviewer.page("/staff").await;
    assert!(
        queue.contains(r#"aria-current="page">Needs review <span class="count">1</span>"#),
        "{queue}"
    );
    assert!(queue.contains(r#"Locked <span class="count">1</span>"#));
    assert!(queue.contains("swapped@example.com"));
    assert!(queue.contains("date of birth differs"));
    assert!(queue.contains(&format!("/staff/links/{id}")));
    let locked_tab = reviewer.page("/staff?state=locked").await;
    assert!(locked_tab.contains("locked-one") && locked_tab.contains("too many wrong codes"));
    let found = reviewer.page("/staff?q=swapped%40example.com").await;
    assert!(found.contains("swapped"));
    let none = reviewer.page("/staff?q=nobody").await;
    assert!(none.contains("No links here that match the filter"));
    assert_eq!(
        reviewer.get("/staff?state=active").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        reviewer.get("/staff?from=yesterday").await.status(),
        StatusCode::BAD_REQUEST
    );

    let detail = reviewer.page(&format!("/staff/links/{id}")).await;
    for shown in [
        "1990-04-12",
        "1990-12-04",
        "day and month swapped?",
        "swapped@example.com",
        "personal",
        "identity_doubtful",
        "finish_linking",
    ] {
        assert!(detail.contains(shown), "{shown} on the detail page");
    }
    assert!(detail.contains("/approve") && detail.contains("/reject"));

    let viewer = app.staff("vic").await;
    let masked = viewer.page(&format!("/staff/links/{id}")).await;
    assert!(!masked.contains("1990-04-12") && !masked.contains("1990-12-04"));
    assert!(!masked.contains("swapped@example.com"));
    assert!(masked.contains("s•••@example.com") && masked.contains("••••-••-12"));
    assert!(
        !masked.contains("/approve"),
        "viewers get no decision forms"
    );
    assert!(!viewer.page("/staff").await.contains("swapped@example.com"));
}

#[tokio::test]
async fn approving_after_five_minutes_asks_for_the_password_again() {
    let app = spawn_app().await;
    let id = in_review(&app, "late").await;
    app.add_staff("rita", "reviewer");
    let reviewer = app.staff("rita").await;
    let page = format!("/staff/links/{id}");
    let approve = format!("/staff/links/{id}/approve");
    app.advance(chrono::Duration::minutes(6));
    assert!(
        reviewer
            .page(&page)
            .await
            .contains("asked again before approving")
    );
    let without = reviewer
        .post(&page, &approve, &[("reason", "typo in DOB")])
        .await;
    assert_eq!(without.status(), StatusCode::UNAUTHORIZED);
    let wrong = reviewer
        .post(
            &page,
            &approve,
            &[("reason", "typo in DOB"), ("password", "not-my-password")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "needs_review"
    );

    let no_reason = reviewer
        .post(
            &page,
            &approve,
            &[("reason", ""), ("password", STAFF_PASSWORD)],
        )
        .await;
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_reason
            .text()
            .await
            .unwrap()
            .contains("reason is required")
    );

    let ok = reviewer
        .post(
            &page,
            &approve,
            &[
                ("reason", "typo in DOB, checked ID"),
                ("password", STAFF_PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let after = reviewer
        .page(ok.headers()["location"].to_str().unwrap())
        .await;
    assert!(after.contains("Approved: the link is active"));
    assert!(
        after.contains("staff_approved")
            && after.contains("staff:rita")
            && after.contains("typo in DOB, checked ID")
    );
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "active"
    );
    let mail = app.mail.wait_for("late@example.com", 2).await;
    assert_eq!(mail.last().unwrap().subject, "Your Wise account is linked");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM staff_audit WHERE event = 'reauthentication_failed'")
            .await,
        2
    );
}

#[tokio::test]
async fn two_reviewers_at_once_end_with_one_decision_and_the_other_is_told_who() {
    let app = spawn_app().await;
    let id = in_review(&app, "race").await;
    app.add_staff("rita", "reviewer");
    app.add_staff("sam", "reviewer");
    let (rita, sam) = (app.staff("rita").await, app.staff("sam").await);
    let page = format!("/staff/links/{id}");
    // Both open the page, then both decide.
    let (rita_form, sam_form) = (rita.page(&page).await, sam.page(&page).await);
    let fields = |form: &str, reason: &'static str| {
        vec![
            ("csrf".to_owned(), crate::helpers::form_value(form, "csrf")),
            ("seen".to_owned(), crate::helpers::form_value(form, "seen")),
            ("reason".to_owned(), reason.to_owned()),
        ]
    };
    let (a, b) = (
        fields(&rita_form, "looks fine"),
        fields(&sam_form, "not the same person"),
    );
    let borrow = |v: &Vec<(String, String)>| {
        v.iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    let (a, b) = (borrow(&a), borrow(&b));
    let a: Vec<(&str, &str)> = a.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let b: Vec<(&str, &str)> = b.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (approve_path, reject_path) = (format!("{page}/approve"), format!("{page}/reject"));
    let (approve, reject) = tokio::join!(
        rita.send_form(&approve_path, &a),
        sam.send_form(&reject_path, &b),
    );
    let statuses = [approve.status(), reject.status()];
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count(),
        1,
        "{statuses:?}"
    );
    let loser = if approve.status() == StatusCode::CONFLICT {
        approve
    } else {
        reject
    };
    assert_eq!(loser.status(), StatusCode::CONFLICT);
    let text = loser.text().await.unwrap();
    assert!(
        text.contains("changed meanwhile")
            && (text.contains("staff:rita") || text.contains("staff:sam")),
        "{text}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM link_events WHERE event IN ('staff_approved', 'staff_rejected')").await,
        1
    );
    // A page opened before the decision cannot decide again either.
    let stale = rita.send_form(&format!("{page}/unlink"), &a).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn rejecting_and_unlocking_from_the_screen() {
    let app = spawn_app().await;
    let review = in_review(&app, "rej").await;
    let stuck = locked(&app, "stuck").await;
    app.add_staff("rita", "reviewer");
    let rita = app.staff("rita").await;

    let page = format!("/staff/links/{review}");
    let out = rita
        .post(
            &page,
            &format!("{page}/reject"),
            &[("reason", "DOB and name differ")],
        )
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_json(&format!("/v1/links/{review}")).await["state"],
        "rejected"
    );
    let mail = app.mail.wait_for("rej@example.com", 2).await;
    assert_eq!(
        mail.last().unwrap().subject,
        "We could not link your Wise account"
    );

    let page = format!("/staff/links/{stuck}");
    assert!(rita.page(&page).await.contains("/unlock"));
    let emails_before = app.sim().mailbox("stuck@example.com").await.len();
    let out = rita
        .post(
            &page,
            &format!("{page}/unlock"),
            &[("reason", "customer called, verified")],
        )
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let link = app.get_json(&format!("/v1/links/{stuck}")).await;
    assert_eq!(link["state"], "awaiting_code");
    assert_eq!(link["attempts_remaining"], 5);
    assert_eq!(
        app.sim().mailbox("stuck@example.com").await.len(),
        emails_before + 1,
        "Wise emailed a new code"
    );
    // The customer gets a new code-entry link, which takes Wise's new code.
    let mails = app.mail.wait_for("stuck@example.com", 2).await;
    let finish = mails.last().unwrap();
    assert_eq!(finish.subject, "Finish linking your Wise account");
    let url_start = finish.text.find("/link/").unwrap();
    let token: String = finish.text[url_start + 6..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let code = app.sim().latest_code("stuck@example.com").await;
    let done = json(submit(&app, &stuck, &token, &code).await).await;
    assert_eq!(done["state"], "active");
    let timeline = rita.page(&page).await;
    assert!(timeline.contains("staff_unlocked") && timeline.contains("customer called, verified"));
}

#[tokio::test]
async fn four_eyes_needs_two_different_reviewers() {
    let app = spawn_app_with(&[("WISELINK__STAFF__APPROVALS_REQUIRED", "2")]).await;
    let id = in_review(&app, "four").await;
    app.add_staff("rita", "reviewer");
    app.add_staff("sam", "reviewer");
    let page = format!("/staff/links/{id}");
    let approve = format!("{page}/approve");
    let rita = app.staff("rita").await;
    let first = rita
        .post(&page, &approve, &[("reason", "checked passport")])
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let after = rita
        .page(first.headers()["location"].to_str().unwrap())
        .await;
    assert!(after.contains("A second reviewer must approve"));
    assert!(after.contains("1 of 2") && after.contains("first by staff:rita"));
    let again = rita
        .post(&page, &approve, &[("reason", "really sure")])
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("second reviewer"));
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "needs_review"
    );

    let sam = app.staff("sam").await;
    let second = sam.post(&page, &approve, &[("reason", "agree")]).await;
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_json(&format!("/v1/links/{id}")).await["state"],
        "active"
    );
}
