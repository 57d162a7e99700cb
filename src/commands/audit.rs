//! `wiselink audit …`.

use super::{audit_keys, migrated};
use crate::services::audit as verify;
use crate::settings::Settings;
use std::io::Write;

/// Walks the chain and every row; prints what it found. Returns whether the trail holds.
pub fn verify(settings: &Settings) -> anyhow::Result<bool> {
    let keys = audit_keys(settings)?;
    let db = migrated(settings)?;
    let report = verify::verify(&mut *db.get()?, &keys)?;
    let mut out = std::io::stdout().lock();
    let (seq, hash) = report.head;
    writeln!(
        out,
        "walked {} chain entries; head {seq} {}; {} rows awaiting the sealer",
        report.entries,
        hex::encode(hash),
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
    let db = migrated(settings)?;
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

/// Prints each signing key's id and public key, for an auditor.
pub fn keys(settings: &Settings) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for (id, public) in audit_keys(settings)?.public_keys() {
        writeln!(out, "{id}:{public}")?;
    }
    Ok(())
}
