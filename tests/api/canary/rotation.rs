//! The canary scan after a key rotation: `wiselink keys rotate` killed (`kill -9`) half-way while
//! the service keeps serving, run again to finish, the old key dropped; then no secret is in the
//! logs, the rotation's output or the database, and no value sealed with the old key is left.

use super::probe::{
    access_token, assert_absent, call, database_contents, expire_access_token, sent, serve,
};
use crate::helpers::{
    TestDatabase, TestSim, WISELINK, cli_api_key, customer_body, free_port, key_secret, run_cli,
    run_cli_with_stdin, spawn_sim, stop_with_sigterm, totp_secret, wait_until_serving,
};
use crate::mail_sink::MailSink;
use reqwest::{Client, Method, StatusCode};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use tempfile::NamedTempFile;
use wiselink::crypto::KeyRing;

const OLD: &str = "rotation-old-2025";
const NEW: &str = "rotation-new-2026";

/// A `serve` process with `keys` as `crypto.keys`, logging at TRACE to a file of its own.
async fn start(
    db_url: &str,
    port: u16,
    (sim, sink): (&TestSim, &MailSink),
    keys: &str,
    logs: &mut Vec<NamedTempFile>,
) -> Child {
    let log = NamedTempFile::new().unwrap();
    let extra = [("WISELINK__CRYPTO__KEYS", keys.to_owned())];
    let (child, _) = serve(db_url, port, sim, sink, log.as_file(), &extra);
    logs.push(log);
    wait_until_serving(&Client::new(), &format!("http://127.0.0.1:{port}")).await;
    child
}

/// A sealed value's first bytes: the format's version, then the id of the key that sealed it.
fn sealed_prefix(key_id: &str) -> String {
    format!("\u{1}{}{key_id}", char::from(key_id.len() as u8))
}

/// `keys rotate` in small, slow batches, killed with SIGKILL once it has begun on the queued
/// emails (so the links are done and the rest is not). Its standard error up to then.
fn rotate_then_kill(db_url: &str, ring: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(WISELINK)
        .args(["keys", "rotate", "--batch-size", "1", "--pause-ms", "1500"])
        .current_dir(dir.path())
        .env_clear()
        .env("WISELINK__DATABASE__URL", db_url)
        .env("WISELINK__CRYPTO__KEYS", ring)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = String::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("keys rotate: queued emails: ") {
            child.kill().unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed half-way: {seen}");
    assert!(
        seen.contains("keys rotate: links: done, 1 examined"),
        "{seen}"
    );
    assert!(
        !seen.contains("webhook endpoints"),
        "the kill came before the last part: {seen}"
    );
    seen
}

#[tokio::test]
async fn a_rotation_killed_half_way_resumes_and_leaves_no_secret_and_no_old_key_behind() {
    let database = TestDatabase::create();
    let db_url = database.url().to_owned();
    let sim = spawn_sim().await;
    // The mail server is down: the link's emails stay queued, sealed, through the rotation.
    let sink = MailSink::down();
    let api_key = cli_api_key(&db_url, "canary");
    let (old, new) = (KeyRing::generate_entry(OLD), KeyRing::generate_entry(NEW));
    let ring = format!("{old},{new}");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::new();
    let api = |method: Method, path: &str| {
        client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&api_key)
    };
    let mut logs = Vec::new();
    let mut child = start(&db_url, port, (&sim, &sink), &old, &mut logs).await;

    // Under the old key: an active link, a stored idempotent answer, a webhook endpoint's
    // signing secret, queued emails and a staff member's TOTP secret.
    let (email, dob) = ("rotation.canary@example.com", "1968-07-30");
    let mut body = customer_body();
    body["email"] = json!(email);
    body["date_of_birth"] = json!(dob);
    let mut seen = Vec::new();
    let (status, _) = call(&mut seen, api(Method::PUT, "/v1/customers/rc").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED);
    sim.seed(email, json!({"date_of_birth": dob})).await;
    let start_link = || {
        api(Method::POST, "/v1/links")
            .header("Idempotency-Key", "rotation-canary-start")
            .json(&json!({"customer_ref": "rc"}))
    };
    let (status, link) = call(&mut seen, start_link()).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = link["id"].as_str().unwrap().to_owned();
    let code = sim.latest_code(email).await;
    let (status, done) = call(
        &mut seen,
        client
            .post(format!("{base}/v1/links/{id}/code"))
            .bearer_auth(link["link_session_token"].as_str().unwrap())
            .json(&json!({"code": code})),
    )
    .await;
    assert_eq!(
        (status, done["state"].as_str()),
        (StatusCode::OK, Some("active"))
    );
    let (status, endpoint) = call(
        &mut Vec::new(),
        api(Method::POST, "/v1/webhook-endpoints")
            .json(&json!({"url": "http://127.0.0.1:9/hooks", "events": ["*"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let webhook_secret = endpoint["secret"].as_str().unwrap().to_owned();
    let access_path = format!("{base}/v1/links/{id}/access-token");
    let first_access = access_token(&client, &access_path, &api_key).await;
    let db_env = [("WISELINK__DATABASE__URL", db_url.as_str())];
    let staff_password = "rotation-heron-71-compass";
    let added = run_cli_with_stdin(
        &[
            "staff",
            "add",
            "rc-admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &db_env,
        staff_password,
    );
    assert!(added.status.success());
    let old_env = [db_env[0], ("WISELINK__CRYPTO__KEYS", old.as_str())];
    let enrolled = run_cli(&["staff", "totp", "enroll", "rc-admin"], &old_env, None);
    assert!(enrolled.status.success());
    let totp = totp_secret(&String::from_utf8_lossy(&enrolled.stdout));

    // Every instance learns the new key (as the newest); the rotation is killed half-way.
    stop_with_sigterm(&mut child).await;
    let mut child = start(&db_url, port, (&sim, &sink), &ring, &mut logs).await;
    let ring_env = [db_env[0], ("WISELINK__CRYPTO__KEYS", ring.as_str())];
    let mut outputs = tokio::task::spawn_blocking({
        let (db_url, ring) = (db_url.clone(), ring.clone());
        move || rotate_then_kill(&db_url, &ring)
    })
    .await
    .unwrap();
    let r = api(Method::POST, &format!("/v1/links/{id}/access-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "served half-way through");
    let resumed = run_cli(&["keys", "rotate"], &ring_env, None);
    let resumed_out = String::from_utf8_lossy(&resumed.stdout).into_owned();
    assert!(resumed.status.success(), "{resumed:?}");
    let counted = |what: &str| -> usize {
        let before = resumed_out.split(what).next().unwrap();
        before.rsplit(' ').next().unwrap().parse().unwrap()
    };
    // The link's three values (registration code, access and refresh tokens) were done before
    // the kill; the stored answer, the TOTP secret and the endpoint's secret were not.
    assert!(counted(" already current") >= 3, "{resumed_out}");
    assert!(
        counted(&format!(" values with key {NEW}")) >= 3,
        "{resumed_out}"
    );
    outputs.push_str(&resumed_out);
    outputs.push_str(&String::from_utf8_lossy(&resumed.stderr));
    let again = run_cli(&["keys", "rotate"], &ring_env, None);
    let again_out = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again_out.contains("re-sealed 0 values"), "{again_out}");
    outputs.push_str(&again_out);

    // The old key dropped: every value opens with the new one alone.
    stop_with_sigterm(&mut child).await;
    let mut child = start(&db_url, port, (&sim, &sink), &new, &mut logs).await;
    expire_access_token(&db_url, &id).await;
    let second_access = access_token(&client, &access_path, &api_key).await;
    assert_ne!(first_access, second_access, "the refresh token opened");
    let (_, replay) = call(&mut seen, start_link()).await;
    assert_eq!(replay["id"], id.as_str(), "the stored answer opened");
    sink.listen();
    // Both queued emails open and go out.
    sink.wait_for(email, 2).await;
    stop_with_sigterm(&mut child).await;

    let calls = sim.calls().await;
    let material = |entry: &str| entry.split_once(':').unwrap().1.to_owned();
    let (old_key, new_key) = (material(&old), material(&new));
    let registration_code = sent(
        &calls,
        "/v1/user/signup/registration_code",
        "registrationCode",
    );
    let refresh_token = sent(&calls, "refresh_token", "refresh_token");
    let mut secrets = vec![
        ("first access token", first_access.as_str()),
        ("refreshed access token", second_access.as_str()),
        ("refresh token", refresh_token.as_str()),
        ("authorization code", code.as_str()),
        ("registration code", registration_code.as_str()),
        ("webhook secret", webhook_secret.as_str()),
        ("TOTP secret", totp.as_str()),
        ("staff password", staff_password),
        ("API key", key_secret(&api_key)),
        ("old sealing key", old_key.as_str()),
        ("new sealing key", new_key.as_str()),
    ];
    assert_absent("the rotation's output", &outputs, &secrets);
    let logs: String = logs
        .iter()
        .map(|l| std::fs::read_to_string(l.path()).unwrap())
        .collect();
    assert!(logs.contains("link verified"), "the scan sees the logs");
    let mut in_logs = secrets.clone();
    in_logs.extend([("email", email), ("date of birth", dob)]);
    assert_absent("the logs", &logs, &in_logs);
    let stored = database_contents(&database);
    let under_new = sealed_prefix(NEW);
    assert!(
        stored.contains(&under_new) || stored.contains(&hex::encode(&under_new)),
        "the scan sees sealed values"
    );
    let under_old = sealed_prefix(OLD);
    secrets.push(("value sealed with the old key", under_old.as_str()));
    assert_absent("the database", &stored, &secrets);
}
