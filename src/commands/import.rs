//! `wiselink import FILE`: the rows of a file, proven a few at a time, with progress on standard
//! error and each failed row and the summary on standard output.

use crate::cli::ImportArgs;
use crate::clock::Clock;
use crate::services::import::{Importer, Outcome, RowReport, Summary};
use crate::settings::Settings;
use crate::startup::{Core, open_database};
use anyhow::Context;
use futures_util::stream::{self, Stream};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::time::{Duration, Instant};

/// Wise calls a row costs at most: the refresh, the user, the profiles.
pub const CALLS_PER_ROW: u64 = 3;
/// Bytes read from the file at a time.
const CHUNK: usize = 64 * 1024;

/// The input could not be read at all (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

pub async fn run(settings: Settings, args: ImportArgs) -> anyhow::Result<()> {
    let stdin = args.file.as_os_str() == "-";
    let name = args.file.display().to_string();
    let reader: Box<dyn Read + Send> = if stdin {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(&args.file)
                .map_err(|e| Unreadable(format!("cannot open {name}: {e}")))?,
        )
    };
    // A file is counted first, so progress can say how far it is and how long is left.
    let total = if stdin {
        None
    } else {
        Some(count_rows(&args.file)?)
    };
    let mut report = match &args.report {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => None,
    };
    let db = open_database(&settings).await?;
    let core = Core::build(&settings, &db, Clock::system())?;
    if let (Some(limits), Some(rows)) = (core.wise.budget_limits(), total) {
        eprintln!("{}", budget_floor(rows, limits));
    }
    let importer = Importer {
        links: core.links.clone(),
        stale_after: chrono::Duration::seconds(settings.workers.recovery_stale_after_secs.into()),
        concurrency: usize::from(args.concurrency),
        actor: "import".to_owned(),
    };
    let mut progress = Progress::new(total, std::io::stderr().is_terminal());
    let mut out = std::io::stdout().lock();
    let ran = importer
        .run(chunks(reader), |row| {
            if row.outcome == Outcome::Failed {
                let _ = writeln!(out, "{}", failure_line(&row));
            }
            if let Some(file) = report.as_mut() {
                let _ = serde_json::to_writer(&mut *file, &row);
                let _ = file.write_all(b"\n");
            }
            progress.row();
        })
        .await;
    progress.finish();
    if let Some(mut file) = report {
        file.flush().context("cannot write the report")?;
    }
    let summary = ran.map_err(|e| Unreadable(format!("{name}: {e}")))?;
    print_summary(&mut out, &name, &summary, progress.started.elapsed())?;
    if summary.failed > 0 {
        anyhow::bail!("{} of the rows failed", summary.failed);
    }
    Ok(())
}

/// What the Wise call budget allows an import of `rows`, said before it starts.
fn budget_floor(rows: u64, limits: crate::wise::budget::Limits) -> String {
    let (second, minute) = (
        u64::from(limits.background_per_second.max(1)),
        u64::from(limits.background_per_minute.max(1)),
    );
    let calls = rows * CALLS_PER_ROW;
    let secs = (calls / second).max(calls * 60 / minute);
    format!(
        "The Wise call budget gives background work {minute} calls a minute ({second} a second), \
         and a row costs up to {CALLS_PER_ROW} calls: {rows} rows take at least {}.",
        duration(Duration::from_secs(secs))
    )
}

/// Rows in a file: lines that are not blank, less a CSV header.
fn count_rows(path: &std::path::Path) -> anyhow::Result<u64> {
    let file = std::fs::File::open(path)
        .map_err(|e| Unreadable(format!("cannot open {}: {e}", path.display())))?;
    let mut rows = 0u64;
    let mut first: Option<bool> = None;
    for line in std::io::BufReader::with_capacity(CHUNK, file).split(b'\n') {
        let line = line.map_err(|e| Unreadable(format!("cannot read {}: {e}", path.display())))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        first.get_or_insert_with(|| {
            let text = String::from_utf8_lossy(&line);
            text.trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{')
        });
        rows += 1;
    }
    // A CSV file's first line is its header.
    Ok(if first == Some(false) { rows - 1 } else { rows })
}

/// The input as chunks, read on a thread of its own so a slow disk or pipe never holds up the
/// rows being proven.
fn chunks(
    mut reader: Box<dyn Read + Send>,
) -> std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Vec<u8>>>>> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    std::thread::spawn(move || {
        loop {
            let mut buf = vec![0; CHUNK];
            let read = match reader.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    buf.truncate(n);
                    Ok(buf)
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let failed = read.is_err();
            if tx.blocking_send(read).is_err() || failed {
                return;
            }
        }
    });
    Box::pin(stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}

fn failure_line(row: &RowReport) -> String {
    let mut line = format!("line {}", row.line);
    if let Some(customer) = &row.customer_ref {
        line.push_str(&format!(" (customer {customer})"));
    }
    line.push_str(&format!(
        ": {} — {}",
        row.code.as_deref().unwrap_or("failed"),
        row.message.as_deref().unwrap_or("")
    ));
    if let Some(state) = &row.state {
        line.push_str(&format!(" [link {state}]"));
    }
    for e in &row.errors {
        line.push_str(&format!("; {}: {} ({})", e.field, e.message, e.code));
    }
    line
}

fn print_summary(
    out: &mut impl Write,
    name: &str,
    summary: &Summary,
    took: Duration,
) -> std::io::Result<()> {
    let rows = summary.imported + summary.unchanged + summary.failed;
    writeln!(
        out,
        "{name}: {rows} rows in {} ({:.0} rows/s)",
        duration(took),
        rows as f64 / took.as_secs_f64().max(0.001)
    )?;
    if !summary.states.is_empty() {
        let states: Vec<String> = summary
            .states
            .iter()
            .map(|(state, n)| format!("{state} {n}"))
            .collect();
        writeln!(out, "links by state: {}", states.join(", "))?;
    }
    writeln!(out, "{}", summary.line())
}

/// `2 h 5 min`, `3 min 20 s`, `12 s`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

/// Progress on standard error: a bar redrawn in place on a terminal, otherwise a line every
/// few seconds.
struct Progress {
    total: Option<u64>,
    done: u64,
    terminal: bool,
    started: Instant,
    shown: Instant,
}

impl Progress {
    fn new(total: Option<u64>, terminal: bool) -> Self {
        let now = Instant::now();
        Self {
            total,
            done: 0,
            terminal,
            started: now,
            shown: now,
        }
    }

    fn row(&mut self) {
        self.done += 1;
        let every = if self.terminal {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(5)
        };
        if self.shown.elapsed() >= every {
            self.shown = Instant::now();
            self.show();
        }
    }

    fn finish(&mut self) {
        self.show();
        if self.terminal {
            eprintln!();
        }
    }

    fn show(&self) {
        let line = status(self.done, self.total, self.started.elapsed());
        if self.terminal {
            let bar = self.total.map_or(String::new(), |total| {
                let filled = (self.done * 30).checked_div(total).unwrap_or(30).min(30) as usize;
                format!("[{}{}] ", "#".repeat(filled), ".".repeat(30 - filled))
            });
            eprint!("\r{bar}{line}\x1b[K");
        } else {
            eprintln!("import: {line}");
        }
    }
}

/// `1200/100000 rows (1 %), 310 rows/s, about 5 min 18 s left`.
pub fn status(done: u64, total: Option<u64>, elapsed: Duration) -> String {
    let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
    let Some(total) = total else {
        return format!("{done} rows, {rate:.0} rows/s");
    };
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    let left = total.saturating_sub(done);
    let eta = if left == 0 {
        "done".to_owned()
    } else if done == 0 {
        "time left not known yet".to_owned()
    } else {
        format!(
            "about {} left",
            duration(Duration::from_secs_f64(left as f64 / rate))
        )
    };
    format!("{done}/{total} rows ({percent} %), {rate:.0} rows/s, {eta}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_says_how_far_how_fast_and_how_long_is_left() {
        let s = status(1_000, Some(100_000), Duration::from_secs(10));
        assert_eq!(
            s,
            "1000/100000 rows (1 %), 100 rows/s, about 16 min 30 s left"
        );
        assert_eq!(
            status(0, Some(10), Duration::from_secs(1)),
            "0/10 rows (0 %), 0 rows/s, time left not known yet"
        );
        assert_eq!(status(5, None, Duration::from_secs(5)), "5 rows, 1 rows/s");
        assert_eq!(duration(Duration::from_secs(7_300)), "2 h 1 min");
    }

    #[test]
    fn the_budget_floor_is_said_before_the_import_starts() {
        let wise_defaults = crate::wise::budget::BudgetSettings::default()
            .limits()
            .unwrap();
        let floor = budget_floor(100_000, wise_defaults);
        assert!(
            floor.contains("100000 rows take at least 7 h 24 min"),
            "{floor}"
        );
    }

    #[test]
    fn rows_are_counted_without_a_csv_header_or_blank_lines() {
        let dir = std::env::temp_dir().join(format!("wiselink-count-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("rows.csv");
        std::fs::write(
            &csv,
            "customer_ref,email\nc-1,a@example.com\n\nc-2,b@example.com",
        )
        .unwrap();
        assert_eq!(count_rows(&csv).unwrap(), 2);
        let jsonl = dir.join("rows.jsonl");
        std::fs::write(&jsonl, "{}\n{}\n\n{}\n").unwrap();
        assert_eq!(count_rows(&jsonl).unwrap(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
