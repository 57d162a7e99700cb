//! The audit stream catching up: a backlog of N chained audit rows (staff audit rows, sealed as
//! wiselink seals them) streamed by a `wiselink serve` (release build) to a collector in this
//! process that reads the octet-counted frames. Prints entries per second from the first frame to
//! the last, the bytes sent per entry, and serve's CPU time per entry.
//!
//!   scripts/bench-audit-stream.sh            (makes the databases, runs this on each backend)
//!
//! Reads: BENCH_DATABASE_URL (an empty, migrated database), BENCH_SERVE_BIN (the wiselink
//! binary), BENCH_ENTRIES (default 50000), BENCH_PORT (default 18394).

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use wiselink::audit::SigningKeys;
use wiselink::db::Db;
use wiselink::settings::{Settings, Sources};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// User and system CPU time of a process so far, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Counts the frames and bytes of every connection to `listener`.
fn collect(listener: std::net::TcpListener, entries: Arc<AtomicU64>, bytes: Arc<AtomicU64>) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { return };
        let (entries, bytes) = (entries.clone(), bytes.clone());
        std::thread::spawn(move || {
            let mut buffer = Vec::new();
            let mut chunk = vec![0u8; 64 * 1024];
            while let Ok(n) = stream.read(&mut chunk) {
                if n == 0 {
                    return;
                }
                buffer.extend_from_slice(&chunk[..n]);
                bytes.fetch_add(n as u64, Ordering::Relaxed);
                let mut used = 0;
                while let Some(space) = buffer[used..].iter().position(|b| *b == b' ') {
                    let length: usize = std::str::from_utf8(&buffer[used..used + space])
                        .expect("MSG-LEN")
                        .parse()
                        .expect("MSG-LEN");
                    let end = used + space + 1 + length;
                    if end > buffer.len() {
                        break;
                    }
                    if buffer[used..end].windows(12).any(|w| w == b" audit-entry") {
                        entries.fetch_add(1, Ordering::Relaxed);
                    }
                    used = end;
                }
                buffer.drain(..used);
            }
        });
    }
}

fn main() {
    let url = env("BENCH_DATABASE_URL", "");
    let bin = env("BENCH_SERVE_BIN", "target/release/wiselink");
    let n: i64 = env("BENCH_ENTRIES", "50000")
        .parse()
        .expect("BENCH_ENTRIES");
    let port = env("BENCH_PORT", "18394");
    let settings = Settings::load(&Sources::defaults_with(vec![(
        "WISELINK__DATABASE__URL".into(),
        url.clone(),
    )]))
    .expect("settings");
    let keys = SigningKeys::parse(&settings.audit.signing_keys).expect("audit keys");
    let db = Db::connect(&settings.database).expect("database");
    let mut conn = db.get().expect("connection");
    let started = Instant::now();
    let now = chrono::Utc::now().naive_utc();
    conn.write_transaction(|c| {
        for i in 0..n {
            let subject = format!("bench-{i}");
            wiselink::db::staff::audit(
                c,
                &keys,
                &subject,
                "signed_in",
                None,
                Some("10.0.0.1"),
                now,
            )?;
        }
        Ok::<_, wiselink::db::DbError>(())
    })
    .expect("rows written");
    while wiselink::db::audit::seal_pending(&mut conn, 5_000, now).expect("chained") > 0 {}
    drop(conn);
    println!(
        "backlog: {n} sealed rows written and chained in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("collector");
    let collector = listener.local_addr().unwrap().to_string();
    let (entries, bytes) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (e, b) = (entries.clone(), bytes.clone());
    std::thread::spawn(move || collect(listener, e, b));
    let mut serve = Command::new(&bin)
        .arg("serve")
        .env("WISELINK__DATABASE__URL", &url)
        .env("WISELINK__SERVER__PORT", &port)
        .env("WISELINK__LOG__FILTER", "warn")
        .env("WISELINK__AUDIT__STREAM__ADDRESS", &collector)
        .env("WISELINK__AUDIT__STREAM__TLS", "false")
        .stdout(Stdio::null())
        .spawn()
        .expect("serve starts");
    let wait_started = Instant::now();
    while entries.load(Ordering::Relaxed) == 0 {
        assert!(
            wait_started.elapsed() < Duration::from_secs(60),
            "nothing streamed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let (first, cpu_first) = (Instant::now(), cpu_secs(serve.id()));
    let target = n as u64;
    while entries.load(Ordering::Relaxed) < target {
        assert!(
            first.elapsed() < Duration::from_secs(600),
            "the stream stalled"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let secs = first.elapsed().as_secs_f64();
    let cpu = cpu_secs(serve.id()) - cpu_first;
    let _ = serve.kill();
    let _ = serve.wait();
    let sent = entries.load(Ordering::Relaxed);
    println!(
        "streamed {sent} entries in {secs:.2} s: {:.0} entries/s, {:.0} bytes per entry, serve CPU {:.0} µs per entry",
        sent as f64 / secs,
        bytes.load(Ordering::Relaxed) as f64 / sent as f64,
        cpu * 1e6 / sent as f64
    );
}
