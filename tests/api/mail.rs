//! wiselink's own emails: queued in the outbox with the state change, delivered over real SMTP
//! (an in-process server), retried with the same Message-ID, kept by the dev transport.

mod delivery;
mod flow;
mod reminder;
mod transports;

use crate::helpers::{TestApp, json, spawn_app, spawn_app_mailing_to, spawn_app_with};
use crate::helpers::{awaiting_code, customer, start, submit};
use crate::mail_sink::MailSink;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// Waits until `sql` (a `SELECT COUNT(*) AS n …`) counts at least `n` rows.
async fn eventually_n(app: &TestApp, n: i64, sql: &'static str) {
    for _ in 0..200 {
        if app.count(sql).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never {n} rows: {sql}");
}

/// Waits until `sql` counts at least one row.
async fn eventually(app: &TestApp, sql: &'static str) {
    eventually_n(app, 1, sql).await;
}
