//! `wiselink audit …`.

use super::audit_keys;
use crate::audit::PublicKeys;
use crate::cli::ExportFormat;
use crate::db::Db;
use crate::services::audit::{self as verify, export};
use crate::settings::Settings;
use anyhow::Context;
use std::io::Write;

/// Walks the chain and every row; prints what it found. Returns whether the trail holds.
pub fn verify(settings: &Settings, against: &[std::path::PathBuf]) -> anyhow::Result<bool> {
    let keys = audit_keys(settings)?;
    let mut kept = Vec::new();
    for path in against {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        kept.extend(
            export::kept_checkpoints(std::io::BufReader::new(file))
                .with_context(|| format!("cannot read {}", path.display()))?,
        );
    }
    let db = connected(settings)?;
    let report = verify::verify(&mut *db.get()?, keys.public_keys(), &kept)?;
    print_report(&report)
}

/// Prints what a walk found: a summary on stdout, findings on stderr. Returns whether it holds.
fn print_report(report: &verify::Report) -> anyhow::Result<bool> {
    let mut out = std::io::stdout().lock();
    let (seq, hash) = report.head;
    writeln!(
        out,
        "walked {} chain entries; head {seq} {}; {} signed checkpoints; {} rows awaiting the sealer",
        report.entries,
        hex::encode(hash),
        report.checkpoints,
        report.pending
    )?;
    if report.holds() {
        writeln!(out, "the audit trail holds")?;
        return Ok(true);
    }
    let mut err = std::io::stderr().lock();
    writeln!(err, "the audit trail does not hold: {}", report.findings[0])?;
    for finding in report.findings.iter().skip(1).take(99) {
        writeln!(err, "also: {finding}")?;
    }
    if report.findings.len() > 100 {
        writeln!(err, "and {} more findings", report.findings.len() - 100)?;
    }
    Ok(false)
}

/// Accepts the rows written so far without seals, recording it in the staff audit.
pub fn accept_unsealed(settings: &Settings) -> anyhow::Result<()> {
    let keys = audit_keys(settings)?;
    let db = connected(settings)?;
    let now = crate::clock::Clock::system().now();
    let (events, staff) = verify::accept_unsealed(&mut *db.get()?, &keys, super::CLI_ACTOR, now)?;
    tracing::warn!(
        link_events = events,
        staff_audit = staff,
        "rows without seals accepted into the audit trail"
    );
    writeln!(
        std::io::stdout(),
        "accepted rows without seals up to link_events #{events} and staff_audit #{staff}; \
         recorded in the staff audit as {}",
        verify::ACCEPTED_EVENT
    )?;
    Ok(())
}

/// `wiselink audit export`.
pub fn export(
    settings: &Settings,
    since: &str,
    format: ExportFormat,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let since = chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d")
        .map(|d| d.and_time(chrono::NaiveTime::MIN))
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(since, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| anyhow::anyhow!("--since must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS"))?;
    let format = match format {
        ExportFormat::Jsonl => export::Format::Jsonl,
        ExportFormat::Csv => export::Format::Csv,
    };
    let keys = audit_keys(settings)?;
    let db = connected(settings)?;
    let now = crate::clock::Clock::system().now();
    let mut conn = db.get()?;
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let written = export::export(
        &mut conn,
        &keys,
        since,
        format,
        &mut out,
        super::CLI_ACTOR,
        now,
    )?;
    writeln!(std::io::stderr(), "exported {written} chain entries")?;
    Ok(())
}

/// `wiselink audit check-export`: no configuration, no database.
pub fn check_export(file: &std::path::Path, public_keys: &[String]) -> anyhow::Result<bool> {
    let keys = PublicKeys::parse(public_keys).map_err(|e| anyhow::anyhow!(e))?;
    let open = || std::fs::File::open(file).map(std::io::BufReader::new);
    let report = export::check_export(open, &keys)
        .with_context(|| format!("cannot read {}", file.display()))?;
    print_report(&report)
}

/// Prints each signing key's id and public key, for an auditor.
pub fn keys(settings: &Settings) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for entry in audit_keys(settings)?.public_keys().entries() {
        writeln!(out, "{entry}")?;
    }
    Ok(())
}

/// The database as it is: the audit commands never migrate it (a check reads what is there), and
/// refuse one this release has not migrated.
fn connected(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database).context("cannot open the database")?;
    let pending = crate::db::migrations::any_pending(&mut *db.get()?)
        .map_err(|e| anyhow::anyhow!("cannot read the database's migrations: {e}"))?;
    anyhow::ensure!(
        !pending,
        "the database has migrations of this release still to apply: run `wiselink migrate` first"
    );
    Ok(db)
}
