use crate::helpers::{
    TestDatabase, WISELINK, customer_body, free_port, key_id, key_secret, run_cli, spawn_app_with,
    stop_with_sigterm, wait_until_serving,
};
use reqwest::StatusCode;
use std::process::{Command, Stdio};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn api_keys_are_created_listed_and_revoked_from_the_cli() {
    // Without the in-memory key cache, so the revocation shows on the very next request.
    let app = spawn_app_with(&[("WISELINK__AUTH__KEY_CACHE_SECS", "0")]).await;
    let created = app.cli(&["api-key", "create", "--name", "mobile backend"]);
    assert!(
        created.status.success(),
        "{:?} {}",
        created.status,
        stderr(&created)
    );
    let out = stdout(&created);
    let key = out.lines().last().unwrap().to_owned();
    let id = key_id(&key).to_owned();
    assert!(
        key.len() >= 3 + 12 + 1 + 43,
        "at least 256 bits of secret: {key}"
    );

    let response = app.get_customer_as(&key, "nobody").await;
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "the new key authenticates"
    );

    let listed = stdout(&app.cli(&["api-key", "list"]));
    let line = listed
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(
        line.contains("active") && line.contains("mobile backend"),
        "{line}"
    );
    let secret = key_secret(&key);
    assert!(!listed.contains(secret), "list never shows a key");

    let revoked = app.cli(&["api-key", "revoke", &id]);
    assert!(
        revoked.status.success(),
        "{:?} {}",
        revoked.status,
        stderr(&revoked)
    );
    let response = app.get_customer_as(&key, "nobody").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        stdout(&app.cli(&["api-key", "list"]))
            .lines()
            .any(|l| l.starts_with(&id) && l.contains("revoked"))
    );

    let again = app.cli(&["api-key", "revoke", &id]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("no active API key"),
        "{}",
        stderr(&again)
    );
    let nameless = app.cli(&["api-key", "create", "--name", "  "]);
    assert!(!nameless.status.success());
}

#[test]
fn configuration_problems_are_listed_one_per_line() {
    let out = run_cli(
        &["migrate"],
        &[
            ("WISELINK__SERVER__PUBLIC_URL", "nope"),
            ("WISELINK__DATABASE__POOL_SIZE", "0"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines.iter().all(|l| l.starts_with("configuration error: ")),
        "{err}"
    );
    assert!(
        err.contains("server.public_url") && err.contains("database.pool_size"),
        "{err}"
    );
}

#[test]
fn an_environment_name_in_any_case_keeps_its_rules_and_an_unknown_one_is_refused() {
    // Production's rules in capitals too: the development key is refused.
    let out = run_cli(&["migrate"], &[("WISELINK_ENV", "PRODUCTION")], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("WISELINK_ENV=production"), "{err}");
    let demo = run_cli(&["demo"], &[("WISELINK_ENV", "Production")], None);
    assert_eq!(demo.status.code(), Some(2));
    assert!(stderr(&demo).contains("production"), "{}", stderr(&demo));

    let typo = run_cli(&["migrate"], &[("WISELINK_ENV", "prodution")], None);
    assert_eq!(typo.status.code(), Some(2));
    let err = stderr(&typo);
    assert!(
        err.contains("WISELINK_ENV=prodution is unknown") && err.contains("config/prodution.toml"),
        "{err}"
    );
}

#[test]
fn unreachable_postgres_fails_clearly_and_never_creates_an_sqlite_file() {
    let cwd = tempfile::tempdir().unwrap();
    let out = run_cli(
        &["migrate"],
        &[
            (
                "WISELINK__DATABASE__URL",
                "postgres://wiselink:s3cret@127.0.0.1:1/wiselink",
            ),
            ("WISELINK__DATABASE__CONNECT_TIMEOUT_SECS", "1"),
        ],
        Some(&cwd.path().to_path_buf()),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(
            "cannot connect to PostgreSQL at postgres://wiselink:***@127.0.0.1:1/wiselink"
        ),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "password redacted: {err}");
    assert_eq!(
        err.matches("Connection refused").count(),
        1,
        "the driver's cause is said once: {err}"
    );
    assert_eq!(
        std::fs::read_dir(cwd.path()).unwrap().count(),
        0,
        "no file was created"
    );
}

#[test]
fn a_simulator_on_a_taken_port_says_which_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = run_cli(&["sim", "--port", &port], &[], None);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn migrate_works_with_zero_set_up_on_the_sqlite_default() {
    let cwd = tempfile::tempdir().unwrap();
    let dir = cwd.path().to_path_buf();
    let first = run_cli(&["migrate"], &[], Some(&dir));
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("applied 2026-11-22-000001_create_foundation"),
        "{}",
        stdout(&first)
    );
    assert!(dir.join("data/wiselink.sqlite3").exists());
    let second = run_cli(&["migrate"], &[], Some(&dir));
    assert_eq!(stdout(&second).trim(), "database is up to date");
}

/// The real binary at TRACE with JSON logs: it serves, never logs the API key, email or DOB, and
/// stops cleanly on SIGTERM.
#[tokio::test]
async fn serve_logs_json_without_secrets_and_stops_on_sigterm() {
    let database = TestDatabase::create();
    let db_url = database.url().to_owned();
    let envs = [("WISELINK__DATABASE__URL", db_url.as_str())];
    let created = run_cli(&["api-key", "create", "--name", "canary"], &envs, None);
    let key = stdout(&created).lines().last().unwrap().to_owned();

    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(WISELINK)
        .arg("serve")
        .env_clear()
        .env("WISELINK__DATABASE__URL", &db_url)
        .env("WISELINK__SERVER__PORT", port.to_string())
        .env("WISELINK__SERVER__WORKERS", "1")
        .env("WISELINK__LOG__FORMAT", "json")
        .env("WISELINK__LOG__FILTER", "trace")
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    wait_until_serving(&client, &base).await;
    let mut body = customer_body();
    body["email"] = serde_json::json!("canary.person@example.com");
    body["date_of_birth"] = serde_json::json!("1961-07-23");
    let put = client
        .put(format!("{base}/v1/customers/canary"))
        .bearer_auth(&key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::CREATED);
    let get = client
        .get(format!("{base}/v1/customers/canary"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::OK);
    let bad = client
        .get(format!("{base}/v1/customers/canary"))
        .bearer_auth(format!("{key}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    // Nothing from a query string reaches the logs, not even a parameter's name.
    let odd = client
        .get(format!("{base}/v1/links?query_canary_ada%40example.com=1"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let status = stop_with_sigterm(&mut child).await;
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");

    let logs = std::fs::read_to_string(log.path()).unwrap();
    assert!(logs.lines().count() > 5, "TRACE produced logs");
    for line in logs.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line}"
        );
    }
    let secret = key_secret(&key);
    for canary in [secret, "canary.person", "1961-07-23", "query_canary"] {
        assert!(!logs.contains(canary), "{canary:?} leaked into the logs");
    }
    // Each "request completed" line names its route pattern itself (the span's field is only
    // filled in after the line is written).
    let completed: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["message"] == "request completed")
        .collect();
    assert!(!completed.is_empty(), "request lines logged");
    assert!(
        completed.iter().all(|v| v["http.route"].is_string()),
        "every request line has http.route: {completed:?}"
    );
    assert!(
        completed
            .iter()
            .any(|v| v["http.route"] == "/v1/customers/{customer_ref}")
    );
    assert!(logs.contains("wiselink stopped"));
}
