//! The audit stream to the bank's collector (RFC 5424 syslog, octet-counted, TCP or TLS): every
//! chain entry arrives in order, a collector outage loses nothing, a repeated stretch still checks
//! offline, and a collector whose certificate is not trusted is sent nothing. A real rsyslog over
//! mutual TLS, and a fleet whose streaming instance is killed, are in the modules below.

mod fleet;
mod rsyslog;

use super::export::{check, public_keys};
use super::{number, sealed, traffic};
use crate::helpers::{Ca, TestApp, ca, free_port, issue, spawn_app_with};
use crate::syslog_receiver::{SyslogMessage, SyslogReceiver};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The chain's last sequence number.
pub(crate) async fn head(app: &TestApp) -> i64 {
    number(
        app,
        "SELECT COALESCE(MAX(seq), 0) AS n FROM audit_chain".into(),
    )
    .await
}

/// The sequence numbers of the entries among `messages`, in the order they came.
pub(crate) fn entry_seqs(messages: &[SyslogMessage]) -> Vec<i64> {
    messages
        .iter()
        .filter(|m| m.msgid == "audit-entry")
        .map(SyslogMessage::seq)
        .collect()
}

/// Asserts that `seqs` run from `from` up without a gap or a repeat.
pub(crate) fn assert_contiguous(seqs: &[i64], from: i64) {
    let expected: Vec<i64> = (from..from + seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "entries missing, repeated or out of order");
}

/// Writes the records `msgs` carried as a JSON Lines file in `dir`.
pub(crate) fn kept_by_collector<'a>(
    dir: &Path,
    msgs: impl Iterator<Item = &'a str>,
) -> std::path::PathBuf {
    let file = dir.join("collector.jsonl");
    let text: String = msgs.map(|m| format!("{m}\n")).collect();
    std::fs::write(&file, text).unwrap();
    file
}

/// The bank's CA, and its certificate written to `dir`.
pub(crate) fn bank_ca(dir: &Path) -> (Ca, std::path::PathBuf) {
    let bank = ca("bank CA");
    let path = dir.join("bank-ca.pem");
    std::fs::write(&path, &bank.pem).unwrap();
    (bank, path)
}

/// Settings that stream to `address` (TLS when `tls`), repeating `replay` entries on reconnect.
pub(crate) fn stream_to(address: &str, replay: &str, tls: bool) -> Vec<(&'static str, String)> {
    vec![
        ("WISELINK__AUDIT__STREAM__ADDRESS", address.to_owned()),
        ("WISELINK__AUDIT__STREAM__TLS", tls.to_string()),
        ("WISELINK__AUDIT__STREAM__HOSTNAME", "wl-test".to_owned()),
        ("WISELINK__AUDIT__STREAM__REPLAY_ENTRIES", replay.to_owned()),
        ("WISELINK__AUDIT__CHECKPOINT_EVERY_SECS", "1".to_owned()),
    ]
}

pub(crate) async fn app_with(vars: &[(&'static str, String)]) -> TestApp {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(&vars).await
}

async fn connections_recorded(app: &TestApp) -> Vec<String> {
    let n = number(
        app,
        "SELECT COUNT(*) AS n FROM staff_audit WHERE event = 'audit_stream_connected'".into(),
    )
    .await;
    let mut subjects = Vec::new();
    for i in 0..n {
        subjects.push(
            super::text(
                app,
                format!(
                    "SELECT username AS t FROM staff_audit WHERE event = 'audit_stream_connected' \
                     ORDER BY id LIMIT 1 OFFSET {i}"
                ),
            )
            .await,
        );
    }
    subjects
}

#[tokio::test]
async fn every_entry_reaches_the_collector_in_order_and_an_outage_loses_none() {
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let app = app_with(&stream_to(&address, "3", false)).await;
    // Nothing listens yet: the trail is written and chained all the same.
    traffic(&app).await;
    let first = SyslogReceiver::start_on(port, None).await;
    let head_before = head(&app).await;
    first
        .wait_for_seq(head_before, Duration::from_secs(30))
        .await;
    sealed(&app).await;
    let got = first.messages();
    assert!(first.errors().is_empty(), "{:?}", first.errors());
    for message in &got {
        assert_eq!(message.priority, 13 * 8 + 6, "log audit, informational");
        assert_eq!(message.hostname, "wl-test");
        assert_eq!(message.app_name, "wiselink");
        assert_eq!(message.procid, std::process::id().to_string());
        assert_eq!(message.structured_data, "-");
        assert!(message.timestamp.ends_with('Z'), "{}", message.timestamp);
        assert!(
            ["audit-entry", "audit-checkpoint"].contains(&message.msgid.as_str()),
            "{message:?}"
        );
    }
    assert_contiguous(&entry_seqs(&got), 1);
    assert!(got.iter().any(|m| m.msgid == "audit-checkpoint"));
    // The connection is itself in the staff audit, and so in the stream.
    assert_eq!(
        connections_recorded(&app).await,
        vec![format!("audit:stream to={address} after=0")]
    );
    let connected_seq = number(
        &app,
        "SELECT c.seq AS n FROM audit_chain c JOIN staff_audit s ON c.source = 'staff_audit' \
         AND c.source_id = s.id WHERE s.event = 'audit_stream_connected'"
            .into(),
    )
    .await;
    first
        .wait_for_seq(connected_seq, Duration::from_secs(10))
        .await;

    // The collector goes down while the trail grows.
    first.stop();
    let sent_before = *entry_seqs(&first.messages()).last().unwrap();
    app.add_staff("bo", "reviewer");
    app.staff("bo").await;
    sealed(&app).await;
    let head_after = head(&app).await;
    assert!(head_after > sent_before);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = SyslogReceiver::start_on(port, None).await;
    second
        .wait_for_seq(head_after, Duration::from_secs(60))
        .await;
    assert!(second.errors().is_empty(), "{:?}", second.errors());
    let again = entry_seqs(&second.messages());
    // The new connection repeats the last three entries sent, then goes on without a gap.
    assert_eq!(again[0], sent_before - 2, "{again:?}");
    assert_contiguous(&again, sent_before - 2);
    assert_eq!(
        connections_recorded(&app).await[1],
        format!("audit:stream to={address} after={}", sent_before - 3)
    );

    // What the collector kept, repeats included, checks offline with the public keys alone.
    let dir = tempfile::tempdir().unwrap();
    let both: Vec<SyslogMessage> = first
        .messages()
        .into_iter()
        .chain(second.messages())
        .collect();
    let file = kept_by_collector(dir.path(), both.iter().map(|m| m.msg.as_str()));
    let (ok, out, err) = check(&file, &public_keys(&app));
    assert!(ok, "{out}{err}");
    let walked = *entry_seqs(&both).iter().max().unwrap();
    assert!(
        out.contains(&format!("walked {walked} chain entries")),
        "{out}"
    );
}

#[tokio::test]
async fn a_collector_whose_certificate_is_not_trusted_is_sent_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bank_ca) = bank_ca(dir.path());
    let (cert, key) = issue(&ca("another CA"), dir.path(), "impostor", false);
    let server = wiselink_simulator::tls::server_config(&wiselink_simulator::tls::TlsFiles {
        cert,
        key,
        client_ca: None,
    })
    .unwrap();
    let impostor = SyslogReceiver::start_on(0, Some(Arc::new(server))).await;
    let mut vars = stream_to(&impostor.address(), "500", true);
    vars.push((
        "WISELINK__AUDIT__STREAM__CA_FILE",
        bank_ca.to_str().unwrap().into(),
    ));
    let app = app_with(&vars).await;
    traffic(&app).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(impostor.messages().is_empty());
    assert_eq!(impostor.connections(), 0);
    assert!(
        impostor.errors().iter().any(|e| e.starts_with("TLS")),
        "{:?}",
        impostor.errors()
    );
    assert!(connections_recorded(&app).await.is_empty());
}

#[tokio::test]
async fn an_instance_that_cannot_reach_the_collector_leaves_the_stream_to_one_that_can() {
    let collector = SyslogReceiver::start().await;
    // The first instance's collector address leads nowhere, as from a host a firewall cuts off.
    // Port 9 (discard) is below the range tests bind, so no other test's listener can take it
    // and answer in the collector's place.
    let cut_off = app_with(&stream_to("127.0.0.1:9", "500", false)).await;
    traffic(&cut_off).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let vars = stream_to(&collector.address(), "500", false);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reaching = cut_off.second_instance(&vars).await;
    sealed(&reaching).await;
    collector
        .wait_for_seq(head(&reaching).await, Duration::from_secs(20))
        .await;
    assert_contiguous(&entry_seqs(&collector.messages()), 1);
    assert_eq!(
        connections_recorded(&reaching).await,
        vec![format!("audit:stream to={} after=0", collector.address())]
    );
}
