//! `wiselink audit export` and `audit check-export`: an auditor checks an export with the public
//! keys alone, and signed checkpoints show a chain cut short.

use super::{allow_changes, first_finding, newest_id, number, sealed, sql, traffic, verify};
use crate::helpers::{TestApp, run_cli, spawn_app_with};
use std::path::Path;
use std::time::Duration;

/// An app whose sealer signs a checkpoint every second.
async fn app() -> TestApp {
    spawn_app_with(&[("WISELINK__AUDIT__CHECKPOINT_EVERY_SECS", "1")]).await
}

/// Waits until a checkpoint covers the chain's head.
async fn checkpointed(app: &TestApp) {
    for _ in 0..100 {
        let head = number(
            app,
            "SELECT COALESCE(MAX(seq), 0) AS n FROM audit_chain".into(),
        )
        .await;
        let signed = number(
            app,
            "SELECT COALESCE(MAX(seq), 0) AS n FROM audit_checkpoints".into(),
        )
        .await;
        if head > 0 && signed == head {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no checkpoint covered the chain's head within 10 s");
}

fn export_to(app: &TestApp, path: &Path, format: &str) {
    let out = app.cli(&[
        "audit",
        "export",
        "--since",
        "2000-01-01",
        "--format",
        format,
        "--output",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(super) fn public_keys(app: &TestApp) -> Vec<String> {
    let out = app.cli(&["audit", "keys"]);
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `audit check-export FILE --public-key …`, run with no configuration and no database.
pub(super) fn check(path: &Path, keys: &[String]) -> (bool, String, String) {
    let mut args = vec!["audit", "check-export", path.to_str().unwrap()];
    for key in keys {
        args.extend(["--public-key", key.as_str()]);
    }
    let out = run_cli(&args, &[], None);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn first_line_finding(err: &str) -> &str {
    err.lines()
        .next()
        .and_then(|l| l.strip_prefix("the audit trail does not hold: "))
        .unwrap_or_else(|| panic!("no finding named: {err}"))
}

#[tokio::test]
async fn an_export_checks_offline_and_names_what_was_edited_in_it() {
    let app = app().await;
    traffic(&app).await;
    checkpointed(&app).await;
    let entries = number(&app, "SELECT COUNT(*) AS n FROM audit_chain".into()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    export_to(&app, &file, "jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds = |kind: &str| lines.iter().filter(|l| l["type"] == kind).count() as i64;
    assert_eq!(kinds("entry"), entries);
    assert!(kinds("checkpoint") >= 1, "{text}");
    // The export is itself in the staff audit, and the trail still holds.
    sealed(&app).await;
    assert_eq!(
        number(
            &app,
            "SELECT COUNT(*) AS n FROM staff_audit WHERE event = 'audit_exported'".into()
        )
        .await,
        1
    );
    let (ok, out, err) = verify(&app);
    assert!(ok, "{out}{err}");

    let keys = public_keys(&app);
    assert_eq!(keys.len(), 1);
    let (ok, out, err) = check(&file, &keys);
    assert!(ok, "{out}{err}");
    assert!(out.contains("the audit trail holds"), "{out}");

    // An actor changed in one line.
    let edited_at = lines
        .iter()
        .position(|l| l["source"] == "link_events" && l["row"]["actor"].is_string())
        .unwrap();
    let mut edited = lines.clone();
    edited[edited_at]["row"]["actor"] = "staff:someone-else".into();
    let (seq, id) = (
        lines[edited_at]["seq"].clone(),
        lines[edited_at]["id"].clone(),
    );
    let edited_file = dir.path().join("edited.jsonl");
    write_lines(&edited_file, &edited);
    let (ok, _, err) = check(&edited_file, &keys);
    assert!(!ok);
    assert_eq!(
        first_line_finding(&err),
        format!("link_events #{id} was changed after it was chained (chain entry {seq})")
    );

    // A line dropped from the middle.
    let mut dropped = lines.clone();
    let gone = dropped.remove(2);
    let cut_file = dir.path().join("cut.jsonl");
    write_lines(&cut_file, &dropped);
    let (ok, _, err) = check(&cut_file, &keys);
    assert!(!ok);
    assert_eq!(
        first_line_finding(&err),
        format!("chain entries {0} to {0} were removed", gone["seq"])
    );

    // Another key cannot vouch for it.
    let stranger =
        wiselink::audit::SigningKeys::parse(&[wiselink::audit::SigningKeys::generate_entry("dev")])
            .unwrap();
    let (ok, _, err) = check(&file, &stranger.public_keys().entries());
    assert!(!ok, "{err}");
}

fn write_lines(path: &Path, lines: &[serde_json::Value]) {
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    std::fs::write(path, text.join("\n") + "\n").unwrap();
}

#[tokio::test]
async fn a_csv_export_has_one_line_per_entry() {
    let app = app().await;
    traffic(&app).await;
    let entries = number(&app, "SELECT COUNT(*) AS n FROM audit_chain".into()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.csv");
    export_to(&app, &file, "csv");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "seq,source,id,sealed_at,created_at,subject,actor,from_state,to_state,event,reason,wise_trace_id,client_ip,seal,entry_hash,chain_hash"
    );
    assert_eq!(lines.count() as i64, entries);
}

#[tokio::test]
async fn the_newest_entries_cut_off_with_their_rows_are_named_by_the_last_checkpoint() {
    let app = app().await;
    traffic(&app).await;
    checkpointed(&app).await;
    let head = number(&app, "SELECT MAX(seq) AS n FROM audit_chain".into()).await;
    let source = super::text(
        &app,
        format!("SELECT source AS t FROM audit_chain WHERE seq = {head}"),
    )
    .await;
    let id = number(
        &app,
        format!("SELECT source_id AS n FROM audit_chain WHERE seq = {head}"),
    )
    .await;
    assert_eq!(id, newest_id(&app, &source).await);
    allow_changes(&app, "audit_chain").await;
    allow_changes(&app, &source).await;
    sql(&app, format!("DELETE FROM {source} WHERE id = {id}")).await;
    sql(&app, format!("DELETE FROM audit_chain WHERE seq = {head}")).await;
    assert_eq!(
        first_finding(&app),
        format!(
            "chain entries after {} were removed: a signed checkpoint is at entry {head}",
            head - 1
        )
    );
}

/// Whoever can delete rows can delete checkpoints too: then only a checkpoint kept outside the
/// database (an earlier export) shows the cut.
#[tokio::test]
async fn a_cut_that_took_the_checkpoints_too_is_named_against_a_kept_export() {
    let app = app().await;
    traffic(&app).await;
    checkpointed(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("kept.jsonl");
    export_to(&app, &kept, "jsonl");
    let signed: i64 = std::fs::read_to_string(&kept)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["type"] == "checkpoint")
        .map(|l| l["seq"].as_i64().unwrap())
        .max()
        .unwrap();
    sealed(&app).await;
    checkpointed(&app).await;
    for table in [
        "audit_chain",
        "audit_checkpoints",
        "link_events",
        "staff_audit",
    ] {
        allow_changes(&app, table).await;
    }
    for table in ["link_events", "staff_audit"] {
        sql(
            &app,
            format!(
                "DELETE FROM {table} WHERE id IN (SELECT source_id FROM audit_chain \
                 WHERE source = '{table}' AND seq >= {signed})"
            ),
        )
        .await;
    }
    sql(
        &app,
        format!("DELETE FROM audit_chain WHERE seq >= {signed}"),
    )
    .await;
    sql(
        &app,
        format!("DELETE FROM audit_checkpoints WHERE seq >= {signed}"),
    )
    .await;

    let (ok, out, err) = verify(&app);
    assert!(ok, "the database alone cannot tell: {out}{err}");
    let out = app.cli(&["audit", "verify", "--against", kept.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(
        first_line_finding(&String::from_utf8_lossy(&out.stderr)),
        format!(
            "chain entries after {} were removed: a signed checkpoint is at entry {signed}",
            signed - 1
        )
    );
}
