//! `wiselink import FILE`: its report and exit status, and a run killed with SIGKILL mid-way,
//! finished by the next one.

use super::{json_lines, linked_users, row};
use crate::helpers::{TestApp, run_cli, spawn_app};
use serde_json::{Value, json};

/// The environment `wiselink import` runs in against `app`.
pub fn cli_env(app: &TestApp) -> Vec<(&'static str, String)> {
    vec![
        ("WISELINK__DATABASE__URL", app.database().url().to_owned()),
        ("WISELINK__WISE__API_URL", app.sim().url.clone()),
        ("WISELINK__LOG__FILTER", "trace".to_owned()),
    ]
}

#[tokio::test]
async fn the_cli_reports_each_failed_row_and_the_summary_and_exits_non_zero() {
    let app = spawn_app().await;
    let users = linked_users(app.sim(), "cli-", 2).await;
    let mut dob = row("cli-1", &users[1]);
    dob["date_of_birth"] = json!("1980-02-02");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("links.jsonl");
    std::fs::write(
        &file,
        json_lines(&[row("cli-0", &users[0]), json!({}), dob]),
    )
    .unwrap();
    let env = cli_env(&app);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let path = file.to_str().unwrap();

    let first = run_cli(&["import", path], &env, None);
    let (out, err) = (
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&first.stderr),
    );
    assert_eq!(first.status.code(), Some(1), "{out}\n{err}");
    assert!(
        out.lines().any(|l| l.starts_with("line 2: invalid_fields")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("line 3 (customer cli-1): dob_mismatch")),
        "{out}"
    );
    assert!(
        out.contains("links by state: active 1, needs_review 1"),
        "{out}"
    );
    assert_eq!(
        out.lines().last(),
        Some("imported 1, unchanged 0, failed 2")
    );
    assert!(err.contains("3/3 rows (100 %)"), "{err}");
    assert!(
        err.contains("The Wise call budget gives background work"),
        "{err}"
    );
    // Logs at TRACE go to standard error: no token, and the customers' emails and dates of
    // birth only masked.
    for user in &users {
        let secret = user["refresh_token"].as_str().unwrap();
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "a refresh token was printed"
        );
        let email = user["email"].as_str().unwrap();
        assert!(
            !out.contains(email) && !err.contains(email),
            "an email was printed"
        );
    }
    assert!(
        !err.contains("1990-04-17") && !err.contains("1980-02-02"),
        "a date of birth was printed"
    );

    let second = run_cli(&["import", path], &env, None);
    let out = String::from_utf8_lossy(&second.stdout);
    assert_eq!(
        out.lines().last(),
        Some("imported 0, unchanged 2, failed 1"),
        "{out}"
    );
    assert_eq!(second.status.code(), Some(1));

    let clean = dir.path().join("clean.jsonl");
    std::fs::write(&clean, json_lines(&[row("cli-0", &users[0])])).unwrap();
    let third = run_cli(&["import", clean.to_str().unwrap()], &env, None);
    assert!(third.status.success(), "{third:?}");
    let missing = run_cli(&["import", "/nonexistent/links.jsonl"], &env, None);
    assert_eq!(missing.status.code(), Some(2));
}

/// `wiselink import FILE` started in the background, its output discarded.
fn spawn_import(env: &[(&str, &str)], file: &str) -> std::process::Child {
    let mut cmd = std::process::Command::new(crate::helpers::WISELINK);
    cmd.args(["import", file, "--concurrency", "4"])
        .env_clear()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("wiselink import runs")
}

#[tokio::test]
async fn an_import_killed_mid_way_is_finished_by_the_next_run_each_row_once() {
    // The app's own recovery worker stays out of it: only the second run can finish the rows.
    let app =
        crate::helpers::spawn_app_with(&[("WISELINK__WORKERS__RECOVERY_INTERVAL_MS", "3600000")])
            .await;
    const ROWS: usize = 40;
    let users = linked_users(app.sim(), "crash-", ROWS).await;
    let rows: Vec<Value> = users
        .iter()
        .enumerate()
        .map(|(i, u)| row(&format!("crash-{i}"), u))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("links.jsonl");
    std::fs::write(&file, json_lines(&rows)).unwrap();
    // Every refresh takes 250 ms at Wise, so rows are in flight whenever the import is killed.
    let slow = json!({"endpoint": "/oauth/token", "latency_ms": 250, "count": 10_000});
    super::arm_fault(&app, slow).await;
    // A try that outlives its budget or timeout is retried with a second refresh, which the
    // count at the end would take for a double proof: under a loaded machine's stalls, only the
    // kill may cut a row off, so both are far above the 250 ms a refresh takes. The next run
    // takes a cut-off row over once it is stale.
    let mut env = cli_env(&app);
    env.push((
        "WISELINK__WORKERS__RECOVERY_STALE_AFTER_SECS",
        "20".to_owned(),
    ));
    env.push(("WISELINK__LINKS__WISE_BUDGET_SECS", "10".to_owned()));
    env.push(("WISELINK__WISE__REQUEST_TIMEOUT_MS", "8000".to_owned()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let path = file.to_str().unwrap();

    let mut first = spawn_import(&env, path);
    let started = std::time::Instant::now();
    while app
        .count("SELECT count(*) AS n FROM links WHERE state = 'active'")
        .await
        < 8
    {
        assert!(
            started.elapsed().as_secs() < 60,
            "the import made no progress"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    first.kill().expect("SIGKILL");
    first.wait().unwrap();
    let written = app.count("SELECT count(*) AS n FROM links").await;
    let cut_off = app
        .count("SELECT count(*) AS n FROM links WHERE state = 'verifying'")
        .await;
    assert!(
        written < ROWS as i64,
        "killed before the end ({written} links)"
    );
    assert!(cut_off >= 1, "some rows were cut off mid-proof");

    let second = run_cli(&["import", path], &env, None);
    let out = String::from_utf8_lossy(&second.stdout);
    let last = out.lines().last().unwrap_or_default().to_owned();
    let counts: Vec<u64> = last
        .split(", ")
        .map(|part| part.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    let [imported, unchanged, failed] = counts[..] else {
        panic!("{out}")
    };
    assert_eq!(imported + unchanged + failed, ROWS as u64, "{out}");
    // A row cut off after its refresh reached Wise may have lost its tokens with the answer
    // (where Wise rotates refresh tokens): it ends relink_required (tokens_lost), never twice.
    assert!(failed <= cut_off as u64, "{out}");
    for line in out.lines().filter(|l| l.starts_with("line ")) {
        assert!(line.contains(": tokens_lost"), "{line}");
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM links").await,
        ROWS as i64
    );
    assert_eq!(
        app.count("SELECT count(DISTINCT customer_id) AS n FROM links")
            .await,
        ROWS as i64
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM links WHERE state = 'verifying'")
            .await,
        0
    );
    // Each row's refresh token was sent to Wise once, and again only for a row cut off.
    let refreshes = super::refresh_grants(&app).await as i64;
    assert!(
        (ROWS as i64..=ROWS as i64 + cut_off).contains(&refreshes),
        "{refreshes} refreshes for {ROWS} rows, {cut_off} cut off"
    );
}
