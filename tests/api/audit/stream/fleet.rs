//! Two `wiselink serve` processes on one database stream one audit trail: one holds the stream
//! (every message carries its process id), and when it is killed with SIGKILL mid-traffic the other
//! takes the stream over once the lease lapses, repeating the last entries and losing none.

use super::{assert_contiguous, entry_seqs, kept_by_collector};
use crate::audit::export::check;
use crate::helpers::{
    TestDatabase, cli_api_key, free_port, run_cli, serve_command, spawn_sim, start_link_at,
    wait_until_serving,
};
use crate::mail_sink::MailSink;
use crate::syslog_receiver::SyslogReceiver;
use reqwest::Client;
use std::time::Duration;

/// The chain's head once the sealer has chained every row written so far, as `wiselink audit
/// verify` reports it (which also checks that the chain holds).
async fn settled_head(db_url: &str) -> i64 {
    for _ in 0..100 {
        let out = run_cli(
            &["audit", "verify"],
            &[("WISELINK__DATABASE__URL", db_url)],
            None,
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if text.contains("; 0 rows awaiting the sealer") {
            return text
                .split("; head ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|seq| seq.parse().ok())
                .unwrap_or_else(|| panic!("no head in {text}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("rows still awaited the sealer after 10 s");
}

/// Starts links for `refs` through the instance at `base`: each writes link events.
async fn start_links(client: &Client, base: &str, api_key: &str, refs: &[String]) {
    for customer_ref in refs {
        start_link_at(client, base, api_key, customer_ref).await;
    }
}

#[tokio::test]
async fn the_fleet_streams_once_and_another_instance_takes_over_after_sigkill() {
    let database = TestDatabase::create();
    let db_url = database.url().to_owned();
    let sim = spawn_sim().await;
    let sink = MailSink::start();
    let collector = SyslogReceiver::start().await;
    let api_key = cli_api_key(&db_url, "stream-fleet");
    let client = Client::new();
    let mut instances = Vec::new();
    for _ in 0..2 {
        let port = free_port();
        let child = serve_command(&db_url, port, &sim, &sink)
            .env("WISELINK__AUDIT__STREAM__ADDRESS", collector.address())
            .env("WISELINK__AUDIT__STREAM__TLS", "false")
            .env("WISELINK__AUDIT__STREAM__REPLAY_ENTRIES", "4")
            .spawn()
            .expect("serve starts");
        let base = format!("http://127.0.0.1:{port}");
        wait_until_serving(&client, &base).await;
        instances.push((child, base));
    }
    let refs = |from: usize| {
        (from..from + 4)
            .map(|i| format!("fleet-{i}"))
            .collect::<Vec<_>>()
    };
    start_links(&client, &instances[0].1, &api_key, &refs(0)).await;
    start_links(&client, &instances[1].1, &api_key, &refs(4)).await;
    let head = settled_head(&db_url).await;
    collector.wait_for_seq(head, Duration::from_secs(30)).await;

    // One instance streams; which one, every message says.
    let pids: Vec<String> = instances.iter().map(|(c, _)| c.id().to_string()).collect();
    let senders: std::collections::BTreeSet<String> =
        collector.messages().into_iter().map(|m| m.procid).collect();
    assert_eq!(senders.len(), 1, "{senders:?}");
    let holder = pids
        .iter()
        .position(|p| senders.contains(p))
        .expect("a fleet instance streams");
    assert_eq!(collector.connections(), 1);

    // The streaming instance dies without a word; the trail grows through the other.
    let survivor = 1 - holder;
    instances[holder].0.kill().unwrap();
    instances[holder].0.wait().unwrap();
    let sent_before = collector.messages().len();
    start_links(&client, &instances[survivor].1, &api_key, &refs(8)).await;
    let head_after = settled_head(&db_url).await;
    assert!(head_after > head);
    // The killed holder's lease (30 s) lapses before the survivor may stream.
    collector
        .wait_for_seq(head_after, Duration::from_secs(60))
        .await;
    let later = collector.messages().split_off(sent_before);
    assert!(later.iter().all(|m| m.procid == pids[survivor]));
    let before: Vec<i64> = entry_seqs(&collector.messages()[..sent_before]);
    let taken_over = entry_seqs(&later);
    let last_sent = *before.last().unwrap();
    assert!(
        taken_over[0] <= last_sent - 3,
        "{taken_over:?} after {last_sent}"
    );
    assert_contiguous(&taken_over, taken_over[0]);
    assert_contiguous(&before, 1);
    assert!(collector.errors().is_empty(), "{:?}", collector.errors());

    let keys = run_cli(
        &["audit", "keys"],
        &[("WISELINK__DATABASE__URL", &db_url)],
        None,
    );
    let keys: Vec<String> = String::from_utf8_lossy(&keys.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let all = collector.messages();
    let file = kept_by_collector(dir.path(), all.iter().map(|m| m.msg.as_str()));
    let (ok, out, err) = check(&file, &keys);
    assert!(ok, "{out}{err}");
    let _ = instances[survivor].0.kill();
    let _ = instances[survivor].0.wait();
}
