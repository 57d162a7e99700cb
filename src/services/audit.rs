//! `wiselink audit verify`: walks the chain from its first entry, checks each entry's hash
//! against the one before and against its row, each row's seal against its content, and then
//! the rows not yet chained. Each problem is a [`Finding`], in the order met: the first one names
//! the first entry that was changed, removed or inserted.
//!
//! A row without a seal is accepted in two cases only: it was chained before the first sealed
//! row (history from before sealing began, which the upgrade queued ahead of everything), or a
//! sealed staff audit row accepted rows up to its id (`wiselink audit accept-unsealed`, for rows
//! an older release wrote during a rolling upgrade). Both are in the chain, so neither can be
//! widened in SQL.

use crate::audit::{GENESIS, Hash, SealCheck, SigningKeys, Source, chain_hash};
use crate::db::audit::{self as store, Rows};
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;
use std::collections::{HashMap, HashSet};

/// The staff audit event that accepts rows without seals, and its subject's prefix.
pub const ACCEPTED_EVENT: &str = "unsealed_rows_accepted";
const ACCEPTED_SUBJECT: &str = "audit:";

/// How many chain entries are read at a time.
const PAGE: i64 = 1_000;

/// One problem the walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A row no longer matches what was chained.
    Changed { source: Source, id: i64, seq: i64 },
    /// A chained row is gone.
    Removed { source: Source, id: i64, seq: i64 },
    /// A row wiselink did not write: its seal is missing or does not match.
    Inserted { source: Source, id: i64 },
    /// A row whose seal another row already carries: a copy.
    Copied { source: Source, id: i64 },
    /// Chain entries are missing: the sequence jumps from `after` to `seq`.
    EntriesRemoved { after: i64, seq: i64 },
    /// A chain entry's hash does not follow from the entry before.
    EntryChanged { seq: i64 },
    /// A row's seal names a signing key that is not configured, so it cannot be checked.
    UnknownKey {
        source: Source,
        id: i64,
        key: String,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Changed { source, id, seq } => write!(
                f,
                "{} #{id} was changed after it was chained (chain entry {seq})",
                source.as_str()
            ),
            Finding::Removed { source, id, seq } => write!(
                f,
                "{} #{id} was removed (chain entry {seq})",
                source.as_str()
            ),
            Finding::Inserted { source, id } => write!(
                f,
                "{} #{id} was inserted or changed outside wiselink: its seal is missing or does not match",
                source.as_str()
            ),
            Finding::Copied { source, id } => write!(
                f,
                "{} #{id} was inserted: it repeats another row's seal",
                source.as_str()
            ),
            Finding::EntriesRemoved { after, seq } => {
                write!(f, "chain entries {} to {} were removed", after + 1, seq - 1)
            }
            Finding::EntryChanged { seq } => write!(
                f,
                "chain entry {seq} was changed: its hash does not follow from the entry before"
            ),
            Finding::UnknownKey { source, id, key } => write!(
                f,
                "{} #{id} is sealed with key {key:?}, which audit.signing_keys does not hold",
                source.as_str()
            ),
        }
    }
}

/// What the walk saw.
#[derive(Debug, Default)]
pub struct Report {
    /// Chain entries walked.
    pub entries: u64,
    /// Rows queued for the chain whose seals hold (the sealer has not reached them yet).
    pub pending: u64,
    /// The last entry's sequence number and hash.
    pub head: (i64, Hash),
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn holds(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Walks the whole audit trail. Reads only; safe while the service runs.
pub fn verify(conn: &mut DbConnection, keys: &SigningKeys) -> Result<Report, DbError> {
    let mut walk = Walk {
        keys,
        accepted: accepted(conn, keys)?,
        sealed_seen: false,
        seals: HashSet::new(),
        report: Report {
            head: (0, GENESIS),
            ..Report::default()
        },
    };
    loop {
        let page = store::entries(conn, walk.report.head.0, PAGE)?;
        let Some(last) = page.last() else {
            break;
        };
        let last_seq = last.seq;
        let ids: Vec<(Source, i64)> = page
            .iter()
            .filter_map(|e| Source::parse(&e.source).map(|s| (s, e.source_id)))
            .collect();
        let rows = Rows::load(conn, &ids)?;
        for entry in &page {
            walk.entry(entry, &rows);
        }
        debug_assert_eq!(walk.report.head.0, last_seq);
    }
    let queued = store::pending(conn)?;
    let rows = Rows::load(conn, &queued)?;
    for &(source, id) in &queued {
        if let Some((content, seal)) = rows.get(source, id)
            && walk.row(source, id, &content, seal)
        {
            walk.report.pending += 1;
        }
    }
    for source in Source::ALL {
        for id in store::unqueued(conn, source)? {
            walk.report.findings.push(Finding::Inserted { source, id });
        }
    }
    Ok(walk.report)
}

struct Walk<'a> {
    keys: &'a SigningKeys,
    /// Up to which id rows without seals were accepted, per table.
    accepted: HashMap<Source, i64>,
    /// Whether a row with a valid seal was met yet.
    sealed_seen: bool,
    /// The last 16 bytes of each seal seen so far (random to anyone without the signing key), to
    /// find a copied row.
    seals: HashSet<[u8; 16]>,
    report: Report,
}

impl Walk<'_> {
    fn entry(&mut self, entry: &store::ChainRow, rows: &Rows) {
        let (previous_seq, previous_hash) = self.report.head;
        if entry.seq != previous_seq + 1 {
            self.report.findings.push(Finding::EntriesRemoved {
                after: previous_seq,
                seq: entry.seq,
            });
        }
        let stored: Hash = entry.chain_hash.as_slice().try_into().unwrap_or([0; 32]);
        let entry_hash: Hash = entry.entry_hash.as_slice().try_into().unwrap_or([0; 32]);
        if chain_hash(&previous_hash, entry.seq, &entry_hash) != stored {
            self.report
                .findings
                .push(Finding::EntryChanged { seq: entry.seq });
        }
        // Carry on from the stored hash, so one changed entry is one finding.
        self.report.head = (entry.seq, stored);
        self.report.entries += 1;
        let Some(source) = Source::parse(&entry.source) else {
            self.report
                .findings
                .push(Finding::EntryChanged { seq: entry.seq });
            return;
        };
        let (id, seq) = (entry.source_id, entry.seq);
        match rows.get(source, id) {
            None => self
                .report
                .findings
                .push(Finding::Removed { source, id, seq }),
            Some(_) if rows.entry_hash(source, id) != entry_hash => self
                .report
                .findings
                .push(Finding::Changed { source, id, seq }),
            Some((content, seal)) => {
                self.row(source, id, &content, seal);
            }
        }
    }

    /// Checks a row's seal; returns whether it holds.
    fn row(&mut self, source: Source, id: i64, content: &Hash, seal: Option<&[u8]>) -> bool {
        let finding = match self.keys.check(content, seal) {
            SealCheck::Valid if self.seals.insert(tail(seal.unwrap_or_default())) => {
                self.sealed_seen = true;
                return true;
            }
            SealCheck::Valid => Finding::Copied { source, id },
            SealCheck::Missing
                if !self.sealed_seen || id <= self.accepted.get(&source).copied().unwrap_or(0) =>
            {
                return true;
            }
            SealCheck::Missing | SealCheck::Invalid => Finding::Inserted { source, id },
            SealCheck::UnknownKey(key) => Finding::UnknownKey { source, id, key },
        };
        self.report.findings.push(finding);
        false
    }
}

fn tail(seal: &[u8]) -> [u8; 16] {
    let mut out = [0; 16];
    let start = seal.len().saturating_sub(16);
    out[..seal.len() - start].copy_from_slice(&seal[start..]);
    out
}

/// The bounds accepted by sealed `unsealed_rows_accepted` rows: the highest per table.
fn accepted(conn: &mut DbConnection, keys: &SigningKeys) -> Result<HashMap<Source, i64>, DbError> {
    let mut out: HashMap<Source, i64> = HashMap::new();
    for row in store::staff_rows_of(conn, ACCEPTED_EVENT)? {
        if keys.check(&row.content(), row.seal.as_deref()) != SealCheck::Valid {
            continue;
        }
        let bounds = row
            .username
            .strip_prefix(ACCEPTED_SUBJECT)
            .unwrap_or_default();
        for bound in bounds.split(',') {
            let Some((table, id)) = bound.split_once("<=") else {
                continue;
            };
            if let (Some(source), Ok(id)) = (Source::parse(table), id.parse::<i64>()) {
                let entry = out.entry(source).or_default();
                *entry = (*entry).max(id);
            }
        }
    }
    Ok(out)
}

/// Accepts every row written so far, sealed or not, by a sealed staff audit row naming `actor`
/// and the bound per table. Returns the bounds `(link_events, staff_audit)`.
pub fn accept_unsealed(
    conn: &mut DbConnection,
    keys: &SigningKeys,
    actor: &str,
    now: NaiveDateTime,
) -> Result<(i64, i64), DbError> {
    let (events, staff) = store::newest_ids(conn)?;
    let subject = format!(
        "{ACCEPTED_SUBJECT}{}<={events},{}<={staff}",
        Source::LinkEvents.as_str(),
        Source::StaffAudit.as_str()
    );
    crate::db::staff::audit(conn, keys, &subject, ACCEPTED_EVENT, Some(actor), None, now)?;
    Ok((events, staff))
}
