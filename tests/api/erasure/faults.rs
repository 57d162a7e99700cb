//! Erasure under faults: a reason blanked in SQL under a made-up digest, and starts racing the
//! erasure through two instances.

use super::erase;
use crate::audit::{first_finding, sealed, verify};
use crate::helpers::{customer_body, in_review, spawn_app};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration as StdDuration;

/// Blanking a typed reason in SQL with a digest that is not the reason's: PostgreSQL's trigger
/// refuses it; SQLite's cannot compute SHA-256, so it lets it through and `audit verify` names
/// the row.
#[tokio::test]
async fn a_reason_blanked_in_sql_under_a_made_up_digest_does_not_pass() {
    let app = spawn_app().await;
    let id = in_review(&app, "forge-1").await;
    let rejected = app
        .decide(&app.api_key, &id, "reject", "the photo does not match")
        .await;
    assert_eq!(rejected.status(), StatusCode::OK);
    sealed(&app).await;
    let blanked = if app.database().is_postgres() {
        app.execute(
            "UPDATE link_events SET reason = NULL, erased = '\\x040000000000000000000000000000000000000000000000000000000000000000'::bytea \
             WHERE reason = 'the photo does not match'",
        )
        .await
    } else {
        app.execute(
            "UPDATE link_events SET reason = NULL, erased = x'040000000000000000000000000000000000000000000000000000000000000000' \
             WHERE reason = 'the photo does not match'",
        )
        .await
    };
    if app.database().is_postgres() {
        assert!(blanked.is_err(), "the trigger checks the digest");
        let (ok, out, err) = verify(&app);
        assert!(ok, "{out}{err}");
    } else {
        assert_eq!(blanked.unwrap(), 1);
        let finding = first_finding(&app);
        assert!(finding.starts_with("link_events #"), "{finding}");
    }
}

/// Starts racing an erasure, through two instances on one database: whichever comes first, an
/// erased customer is left with no live link and no personal data on any link.
#[tokio::test]
async fn a_start_racing_the_erasure_never_leaves_a_live_link_for_an_erased_customer() {
    let app = spawn_app().await;
    let other = app.second_instance(&[]).await;
    let refs: Vec<String> = (0..12).map(|i| format!("race-{i}")).collect();
    for r in &refs {
        let mut body = customer_body();
        body["email"] = json!(format!("{r}@example.com"));
        assert_eq!(
            app.put_customer(r, &body).await.status(),
            StatusCode::CREATED
        );
        app.sim().seed(&format!("{r}@example.com"), json!({})).await;
    }
    let races = refs.iter().enumerate().map(|(i, r)| {
        let (starter, eraser) = if i % 2 == 0 {
            (&app, &other)
        } else {
            (&other, &app)
        };
        async move {
            let (started, erased) = tokio::join!(starter.start_link(r), async {
                let mut answer = erase(eraser, r).await;
                // A link mid-way through its start is busy for a moment; the partner retries.
                for _ in 0..50 {
                    if answer.status() != StatusCode::CONFLICT {
                        break;
                    }
                    tokio::time::sleep(StdDuration::from_millis(50)).await;
                    answer = erase(eraser, r).await;
                }
                answer
            });
            assert_eq!(erased.status(), StatusCode::OK, "{r}");
            let s = started.status();
            assert!(
                [StatusCode::CREATED, StatusCode::GONE, StatusCode::CONFLICT].contains(&s),
                "{r}: the start answered {s}"
            );
        }
    });
    futures_util::future::join_all(races).await;
    let live = "SELECT COUNT(*) AS n FROM links l JOIN customers c ON c.id = l.customer_id \
                WHERE c.erased_at IS NOT NULL \
                AND l.state NOT IN ('rejected', 'unlinked', 'expired')";
    assert_eq!(
        app.count(live).await,
        0,
        "no live link for an erased customer"
    );
    let kept = "SELECT COUNT(*) AS n FROM links l JOIN customers c ON c.id = l.customer_id \
                WHERE c.erased_at IS NOT NULL AND (l.signup_email <> '' OR l.personal_data_erased_at IS NULL)";
    assert_eq!(
        app.count(kept).await,
        0,
        "no link of an erased customer keeps personal data"
    );
    let erased = "SELECT COUNT(*) AS n FROM customers WHERE erased_at IS NOT NULL";
    assert_eq!(app.count(erased).await, 12);
}
