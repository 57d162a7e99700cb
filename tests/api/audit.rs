//! The audit trail proves itself: `wiselink audit verify` holds after real traffic, and names
//! the first row that was changed, removed or inserted in SQL behind wiselink's back, on both
//! backends.

mod export;
mod stream;
mod upgrade;

use crate::helpers::{TestApp, in_review, spawn_app};
use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

/// Runs `sql` against the app's database, as an operator with SQL access could.
pub(crate) async fn sql(app: &TestApp, sql: String) {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        diesel::sql_query(&sql)
            .execute(&mut **db.get().expect("connection"))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    })
    .await
    .expect("statement task");
}

/// Lifts the trigger that keeps `table` append-only.
pub(crate) async fn allow_changes(app: &TestApp, table: &str) {
    if app.database().is_postgres() {
        let trigger = format!("{table}_append_only");
        sql(
            app,
            format!("ALTER TABLE {table} DISABLE TRIGGER {trigger}"),
        )
        .await;
    } else {
        sql(app, format!("DROP TRIGGER {table}_no_update")).await;
        sql(app, format!("DROP TRIGGER {table}_no_delete")).await;
    }
}

/// Link events and staff audit rows from real use: a staff member added and signed in, a link
/// through review to approval, a webhook endpoint registered. Returns the link's id once the
/// sealer has chained every row.
pub(crate) async fn traffic(app: &TestApp) -> String {
    app.add_staff("ana", "admin");
    app.staff("ana").await;
    let id = in_review(app, "audit-1").await;
    let approved = app
        .decide(&app.api_key, &id, "approve", "passport seen")
        .await;
    assert!(approved.status().is_success());
    let endpoint = app
        .authed(Method::POST, "/v1/webhook-endpoints")
        .json(&json!({"url": "http://127.0.0.1:9/hooks", "events": ["*"]}))
        .send()
        .await
        .unwrap();
    assert!(endpoint.status().is_success());
    sealed(app).await;
    id
}

/// Waits until the sealer has chained every queued row.
pub(crate) async fn sealed(app: &TestApp) {
    for _ in 0..100 {
        if app.count("SELECT COUNT(*) AS n FROM audit_pending").await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the sealer did not chain the queued rows within 10 s");
}

/// `wiselink audit verify`: whether it passed, its stdout and its stderr.
pub(crate) fn verify(app: &TestApp) -> (bool, String, String) {
    let out = app.cli(&["audit", "verify"]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The first finding `verify` named.
pub(crate) fn first_finding(app: &TestApp) -> String {
    let (ok, _, err) = verify(app);
    assert!(!ok, "verify must fail: {err}");
    err.lines()
        .next()
        .and_then(|l| l.strip_prefix("the audit trail does not hold: "))
        .unwrap_or_else(|| panic!("no finding named: {err}"))
        .to_owned()
}

/// The number `sql` (`SELECT … AS n`) reads.
pub(crate) async fn number(app: &TestApp, sql: String) -> i64 {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || crate::helpers::count_rows(&db, &sql))
        .await
        .unwrap()
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

/// The text `sql` (`SELECT … AS t`) reads.
pub(crate) async fn text(app: &TestApp, sql: String) -> String {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        diesel::sql_query(&sql)
            .get_result::<Text>(&mut **db.get().expect("connection"))
            .expect("text query")
            .t
    })
    .await
    .unwrap()
}

/// Writes an `unlink` event for `link` in SQL, as if staff had unlinked it; returns its id.
async fn forge_unlink(app: &TestApp, link: &str) -> i64 {
    sql(
        app,
        format!(
            "INSERT INTO link_events (link_id, actor, from_state, to_state, reason, created_at, event) \
             VALUES ('{link}', 'staff:ana', 'active', 'unlinked', 'customer asked', '2026-12-06 10:00:00', 'unlink')"
        ),
    )
    .await;
    newest_id(app, "link_events").await
}

pub(crate) async fn newest_id(app: &TestApp, table: &str) -> i64 {
    number(app, format!("SELECT MAX(id) AS n FROM {table}")).await
}

pub(crate) async fn chain_entry_of(app: &TestApp, table: &str, id: i64) -> i64 {
    number(
        app,
        format!("SELECT seq AS n FROM audit_chain WHERE source = '{table}' AND source_id = {id}"),
    )
    .await
}

#[tokio::test]
async fn the_trail_holds_after_real_traffic_and_every_row_is_chained_once() {
    let app = spawn_app().await;
    traffic(&app).await;
    let (ok, out, err) = verify(&app);
    assert!(ok, "{out}{err}");
    let rows = app.count("SELECT COUNT(*) AS n FROM link_events").await
        + app.count("SELECT COUNT(*) AS n FROM staff_audit").await;
    assert!(rows >= 8, "traffic wrote {rows} audit rows");
    assert!(
        out.starts_with(&format!("walked {rows} chain entries; head {rows} ")),
        "{out}"
    );
    assert!(out.contains("the audit trail holds"), "{out}");
    let unsealed = app
        .count("SELECT COUNT(*) AS n FROM link_events WHERE seal IS NULL")
        .await
        + app
            .count("SELECT COUNT(*) AS n FROM staff_audit WHERE seal IS NULL")
            .await;
    assert_eq!(unsealed, 0, "every row wiselink writes carries a seal");
    // The process's one metrics recorder is shared by every test's app: at least this app's rows.
    let metrics = app.metrics().await;
    let value = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
    };
    assert!(value("wiselink_audit_unsealed_rows").is_some(), "{metrics}");
    assert!(
        value("wiselink_audit_chained_total").is_some_and(|n| n >= rows as f64),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_edited_row_is_named_and_putting_it_back_mends_the_trail() {
    let app = spawn_app().await;
    let link = traffic(&app).await;
    let id = newest_id(&app, "link_events").await;
    let seq = chain_entry_of(&app, "link_events", id).await;
    let actor = text(
        &app,
        format!("SELECT actor AS t FROM link_events WHERE id = {id}"),
    )
    .await;
    allow_changes(&app, "link_events").await;
    sql(
        &app,
        format!("UPDATE link_events SET actor = 'staff:someone-else' WHERE id = {id}"),
    )
    .await;
    assert_eq!(
        first_finding(&app),
        format!("link_events #{id} was changed after it was chained (chain entry {seq})")
    );
    // The API shows the edit; only the chain knows it is one.
    let events = app.get_json(&format!("/v1/links/{link}/events")).await;
    assert!(events.to_string().contains("staff:someone-else"));
    sql(
        &app,
        format!("UPDATE link_events SET actor = '{actor}' WHERE id = {id}"),
    )
    .await;
    let (ok, out, err) = verify(&app);
    assert!(ok, "{out}{err}");
}

#[tokio::test]
async fn a_removed_row_is_named() {
    let app = spawn_app().await;
    traffic(&app).await;
    let id = number(
        &app,
        "SELECT MIN(id) AS n FROM staff_audit WHERE event = 'added'".into(),
    )
    .await;
    let seq = chain_entry_of(&app, "staff_audit", id).await;
    allow_changes(&app, "staff_audit").await;
    sql(&app, format!("DELETE FROM staff_audit WHERE id = {id}")).await;
    assert_eq!(
        first_finding(&app),
        format!("staff_audit #{id} was removed (chain entry {seq})")
    );
}

#[tokio::test]
async fn a_row_inserted_in_sql_is_named_though_the_sealer_chained_it() {
    let app = spawn_app().await;
    let link = traffic(&app).await;
    let id = forge_unlink(&app, &link).await;
    sealed(&app).await;
    assert_eq!(
        first_finding(&app),
        format!(
            "link_events #{id} was inserted or changed outside wiselink: its seal is missing or does not match"
        )
    );
}

#[tokio::test]
async fn a_copied_row_is_named_by_its_repeated_seal() {
    let app = spawn_app().await;
    traffic(&app).await;
    let original = newest_id(&app, "staff_audit").await;
    sql(
        &app,
        format!(
            "INSERT INTO staff_audit (username, event, actor, client_ip, created_at, seal) \
             SELECT username, event, actor, client_ip, created_at, seal FROM staff_audit WHERE id = {original}"
        ),
    )
    .await;
    let copy = newest_id(&app, "staff_audit").await;
    sealed(&app).await;
    assert_eq!(
        first_finding(&app),
        format!("staff_audit #{copy} was inserted: it repeats another row's seal")
    );
}

#[tokio::test]
async fn a_row_slipped_past_the_queue_and_a_removed_chain_entry_are_named() {
    let app = spawn_app().await;
    let link = traffic(&app).await;
    let queue_trigger = if app.database().is_postgres() {
        "ALTER TABLE link_events DISABLE TRIGGER link_events_audit_pending"
    } else {
        "DROP TRIGGER link_events_audit_pending"
    };
    sql(&app, queue_trigger.to_owned()).await;
    let slipped = forge_unlink(&app, &link).await;
    assert_eq!(
        first_finding(&app),
        format!(
            "link_events #{slipped} was inserted or changed outside wiselink: its seal is missing or does not match"
        )
    );

    let app = spawn_app().await;
    traffic(&app).await;
    let seq = number(&app, "SELECT MAX(seq) AS n FROM audit_chain".into()).await - 2;
    allow_changes(&app, "audit_chain").await;
    sql(&app, format!("DELETE FROM audit_chain WHERE seq = {seq}")).await;
    assert_eq!(
        first_finding(&app),
        format!("chain entries {seq} to {seq} were removed")
    );
}

#[tokio::test]
async fn two_instances_writing_at_once_keep_one_unbroken_chain() {
    let first = spawn_app().await;
    let second = first.second_instance(&[]).await;
    let flows = (0..12).map(|n| {
        let app = if n % 2 == 0 { &first } else { &second };
        async move { in_review(app, &format!("twin-{n}")).await }
    });
    futures_util::future::join_all(flows).await;
    sealed(&first).await;
    let rows = first.count("SELECT COUNT(*) AS n FROM link_events").await
        + first.count("SELECT COUNT(*) AS n FROM staff_audit").await;
    assert_eq!(
        first.count("SELECT COUNT(*) AS n FROM audit_chain").await,
        rows
    );
    assert_eq!(
        number(&first, "SELECT MAX(seq) AS n FROM audit_chain".into()).await,
        rows,
        "no gap and no second entry for a row"
    );
    let (ok, out, err) = verify(&first);
    assert!(ok, "{out}{err}");
}
