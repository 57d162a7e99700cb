//! What the canary scan runs and reads: the real binary at TRACE, calls that remember every
//! answer, the whole database as text, and the check that no secret is in a text.

use crate::helpers::{TestDatabase, TestSim, serve_command};
use crate::mail_sink::MailSink;
use diesel::RunQueryDsl;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use std::process::Child;

/// The key material a `serve` process runs with: the sealing key and the audit signing key (the
/// base64 after `ID:`).
pub(crate) struct KeyMaterial {
    pub crypto: String,
    pub audit: String,
}

/// `wiselink serve` at TRACE with JSON logs, talking to `sim`, mailing to `sink`, with keys of
/// its own unless `extra` names others.
pub(crate) fn serve(
    db_url: &str,
    port: u16,
    sim: &TestSim,
    sink: &MailSink,
    log: &std::fs::File,
    extra: &[(&str, String)],
) -> (Child, KeyMaterial) {
    let crypto = wiselink::crypto::KeyRing::generate_entry("canary");
    let audit = wiselink::audit::SigningKeys::generate_entry("canary");
    let material = |entry: &str| entry.split_once(':').unwrap().1.to_owned();
    let keys = KeyMaterial {
        crypto: material(&crypto),
        audit: material(&audit),
    };
    let mut command = serve_command(db_url, port, sim, sink);
    command
        .env("WISELINK__CRYPTO__KEYS", &crypto)
        .env("WISELINK__AUDIT__SIGNING_KEYS", &audit)
        .env(
            "WISELINK__SERVER__PUBLIC_URL",
            format!("http://127.0.0.1:{port}"),
        )
        .env("WISELINK__LOG__FORMAT", "json")
        .env("WISELINK__LOG__FILTER", "trace")
        .env("WISELINK__MAIL__RELAY_INTERVAL_MS", "50");
    // The caller's settings win.
    command.envs(extra.iter().map(|(k, v)| (*k, v.as_str())));
    let child = command.stderr(log.try_clone().unwrap()).spawn().unwrap();
    (child, keys)
}

/// Sends a request and keeps its body for the scan.
pub(crate) async fn call(
    seen: &mut Vec<String>,
    request: reqwest::RequestBuilder,
) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    seen.push(body.clone());
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// Every row of every table, as text, read with `db_url`'s own backend. SQLite's files are read
/// raw instead, which also covers free pages and the write-ahead log.
pub(crate) fn database_contents(database: &TestDatabase) -> String {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        row: String,
    }
    if !database.is_postgres() {
        let path = database.url().trim_start_matches("sqlite://").to_owned();
        return ["", "-wal", "-shm"]
            .iter()
            .filter_map(|suffix| std::fs::read(format!("{path}{suffix}")).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .collect();
    }
    use diesel::Connection;
    let mut conn = diesel::PgConnection::establish(database.url()).unwrap();
    let tables: Vec<Row> = diesel::sql_query(
        "SELECT table_name::text AS row FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .load(&mut conn)
    .unwrap();
    assert!(
        tables.iter().any(|t| t.row == "outbox"),
        "all tables listed"
    );
    let mut out = String::new();
    for table in tables {
        let rows: Vec<Row> =
            diesel::sql_query(format!("SELECT t::text AS row FROM {} t", table.row))
                .load(&mut conn)
                .unwrap();
        for r in rows {
            out.push_str(&r.row);
            out.push('\n');
        }
    }
    out
}

/// The access token the partner's endpoint hands out (the one response allowed to hold one).
pub(super) async fn access_token(client: &Client, url: &str, api_key: &str) -> String {
    let body: Value = client
        .post(url)
        .bearer_auth(api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

pub(crate) fn assert_absent(place: &str, haystack: &str, secrets: &[(&str, &str)]) {
    for (name, secret) in secrets {
        assert!(secret.len() >= 6, "{name} is too short to be a canary");
        assert!(!haystack.contains(secret), "the {name} appears in {place}");
        let hex = hex::encode(secret.as_bytes());
        assert!(
            !haystack.contains(&hex),
            "the {name} appears hex-encoded in {place}"
        );
    }
}

/// Makes link `id`'s access token look expired, so the next hand-out refreshes it at Wise.
pub(crate) async fn expire_access_token(db_url: &str, id: &str) {
    let db = wiselink::db::Db::connect(&crate::helpers::settings(db_url, &[]).database).unwrap();
    let past = wiselink::clock::Clock::system().now() - chrono::Duration::hours(1);
    let id = id.to_owned();
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use wiselink::db::schema::link_tokens;
        diesel::update(link_tokens::table.filter(link_tokens::link_id.eq(id)))
            .set(link_tokens::access_expires_at.eq(past))
            .execute(&mut **db.get().unwrap())
            .unwrap();
    })
    .await
    .unwrap();
}

/// The `field` the simulator received in the first call for `grant` (a grant type, or a path).
pub(crate) fn sent(calls: &[Value], grant: &str, field: &str) -> String {
    calls
        .iter()
        .find(|c| c["body"]["grant_type"] == grant || c["path"] == grant)
        .and_then(|c| c["body"][field].as_str())
        .unwrap_or_else(|| panic!("no {grant} call with {field}"))
        .to_owned()
}
