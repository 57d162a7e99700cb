//! The check both `audit verify` (on the database) and `audit check-export` (on an export, with
//! public keys only) run: chain entries in order, each with its row's content and seal, and the
//! signed checkpoints.

use crate::audit::{GENESIS, Hash, PublicKeys, SealCheck, Source, chain_hash, entry_hash};
use std::collections::{HashMap, HashSet};

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
    /// A checkpoint's seal does not match it.
    CheckpointForged { seq: i64 },
    /// The chain's hash at a checkpoint is not the one the checkpoint signed: rewritten up to it.
    CheckpointDisagrees { seq: i64 },
    /// The chain ends before a signed checkpoint: entries were cut from its end.
    CutShort { checkpoint: i64, head: i64 },
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
                "{} #{id} is sealed with key {key:?}, which the keys given do not hold",
                source.as_str()
            ),
            Finding::CheckpointForged { seq } => {
                write!(
                    f,
                    "the checkpoint at chain entry {seq} was not signed by wiselink"
                )
            }
            Finding::CheckpointDisagrees { seq } => write!(
                f,
                "the chain up to entry {seq} was rewritten: its hash is not the one checkpoint {seq} signed"
            ),
            Finding::CutShort { checkpoint, head } => write!(
                f,
                "chain entries after {head} were removed: a signed checkpoint is at entry {checkpoint}"
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
    /// Signed checkpoints that hold.
    pub checkpoints: u64,
    /// The last entry's sequence number and hash.
    pub head: (i64, Hash),
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn holds(&self) -> bool {
        self.findings.is_empty()
    }
}

/// A row as the walk sees it: its content digest and its seal.
pub struct Row<'a> {
    pub content: Hash,
    pub seal: Option<&'a [u8]>,
}

/// A chain entry as the walk sees it, with its row (`None` when the row is gone).
pub struct Entry<'a> {
    pub seq: i64,
    /// `None` for a table the audit trail does not know (a changed entry).
    pub source: Option<Source>,
    pub id: i64,
    pub entry_hash: Hash,
    pub chain_hash: Hash,
    pub row: Option<Row<'a>>,
}

pub struct Walk<'a> {
    keys: &'a PublicKeys,
    /// Up to which id rows without seals were accepted, per table.
    accepted: HashMap<Source, i64>,
    /// Whether a row with a valid seal was met yet.
    sealed_seen: bool,
    /// The chain hash each signed checkpoint holds, by sequence number.
    checkpoints: HashMap<i64, Hash>,
    /// The last 16 bytes of each seal seen so far (random to anyone without the signing key), to
    /// find a copied row.
    seals: HashSet<[u8; 16]>,
    report: Report,
}

impl<'a> Walk<'a> {
    /// A walk that starts after entry `start` (0 and the genesis hash for the whole chain), with
    /// the bounds up to which rows without seals were accepted.
    pub fn new(keys: &'a PublicKeys, accepted: HashMap<Source, i64>, start: (i64, Hash)) -> Self {
        Self {
            keys,
            accepted,
            sealed_seen: false,
            checkpoints: HashMap::new(),
            seals: HashSet::new(),
            report: Report {
                head: start,
                ..Report::default()
            },
        }
    }

    /// A whole-chain walk's start.
    pub const GENESIS_START: (i64, Hash) = (0, GENESIS);

    /// A signed checkpoint; checked against the chain as the walk passes its entry.
    pub fn checkpoint(&mut self, seq: i64, chain_hash: Hash, digest: &Hash, seal: &[u8]) {
        if self.keys.check(digest, Some(seal)) == SealCheck::Valid {
            self.checkpoints.insert(seq, chain_hash);
            self.report.checkpoints += 1;
        } else {
            self.report.findings.push(Finding::CheckpointForged { seq });
        }
    }

    pub fn entry(&mut self, entry: &Entry<'_>) {
        let (previous_seq, previous_hash) = self.report.head;
        if entry.seq != previous_seq + 1 {
            self.report.findings.push(Finding::EntriesRemoved {
                after: previous_seq,
                seq: entry.seq,
            });
        }
        if chain_hash(&previous_hash, entry.seq, &entry.entry_hash) != entry.chain_hash {
            self.report
                .findings
                .push(Finding::EntryChanged { seq: entry.seq });
        }
        if self
            .checkpoints
            .get(&entry.seq)
            .is_some_and(|signed| signed != &entry.chain_hash)
        {
            self.report
                .findings
                .push(Finding::CheckpointDisagrees { seq: entry.seq });
        }
        // Carry on from the stored hash, so one changed entry is one finding.
        self.report.head = (entry.seq, entry.chain_hash);
        self.report.entries += 1;
        let Some(source) = entry.source else {
            self.report
                .findings
                .push(Finding::EntryChanged { seq: entry.seq });
            return;
        };
        let (id, seq) = (entry.id, entry.seq);
        match &entry.row {
            // Gone since it was chained, or already gone when the sealer came to it (a row is
            // queued when it commits, and the tables are append-only).
            None => self
                .report
                .findings
                .push(Finding::Removed { source, id, seq }),
            Some(row) if entry_hash(source, id, &row.content, row.seal) != entry.entry_hash => self
                .report
                .findings
                .push(Finding::Changed { source, id, seq }),
            Some(row) => {
                self.row(source, id, &row.content, row.seal);
            }
        }
    }

    /// Checks a row's seal; returns whether it holds.
    pub fn row(&mut self, source: Source, id: i64, content: &Hash, seal: Option<&[u8]>) -> bool {
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

    /// A finding met outside the chain (a row that bypassed it).
    pub fn found(&mut self, finding: Finding) {
        self.report.findings.push(finding);
    }

    /// Counts a queued row whose seal holds.
    pub fn pending(&mut self) {
        self.report.pending += 1;
    }

    /// Ends the walk: a signed checkpoint beyond the last entry means the chain was cut short.
    pub fn finish(mut self) -> Report {
        let head = self.report.head.0;
        if let Some(&checkpoint) = self.checkpoints.keys().filter(|&&seq| seq > head).max() {
            self.report
                .findings
                .push(Finding::CutShort { checkpoint, head });
        }
        self.report
    }
}

fn tail(seal: &[u8]) -> [u8; 16] {
    let mut out = [0; 16];
    let start = seal.len().saturating_sub(16);
    out[..seal.len() - start].copy_from_slice(&seal[start..]);
    out
}

/// The bounds an acceptance's subject names (`audit:link_events<=N,staff_audit<=M`), merged into
/// `into` (the highest per table wins).
pub fn merge_accepted(subject: &str, prefix: &str, into: &mut HashMap<Source, i64>) {
    let bounds = subject.strip_prefix(prefix).unwrap_or_default();
    for bound in bounds.split(',') {
        let Some((table, id)) = bound.split_once("<=") else {
            continue;
        };
        if let (Some(source), Ok(id)) = (Source::parse(table), id.parse::<i64>()) {
            let entry = into.entry(source).or_default();
            *entry = (*entry).max(id);
        }
    }
}
