//! Reading an export back: `audit check-export` (the export alone, with public keys) and the
//! checkpoints `audit verify --against` holds today's chain to.

use super::super::walk::{Entry, Row, Walk, merge_accepted};
use super::super::{ACCEPTED_EVENT, ACCEPTED_SUBJECT, Report};
use super::{ExportError, Record};
use crate::audit::{Erased, Fields, PublicKeys, SealCheck, Source, content_with};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDateTime;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::io::BufRead;

/// Checks a JSON Lines export with public keys alone: the stretch of chain it holds, every row
/// against its entry and seal, every checkpoint against the chain. `open` gives the export from
/// its start; it is read twice (acceptances and checkpoints first).
pub fn check_export<R: BufRead>(
    mut open: impl FnMut() -> std::io::Result<R>,
    keys: &PublicKeys,
) -> Result<Report, ExportError> {
    let mut accepted = HashMap::new();
    let mut start = None;
    let mut checkpoints = Vec::new();
    let mut repeated_checkpoints = HashSet::new();
    for_each_record(open()?, |record| match record {
        Record::Entry {
            seq,
            previous_chain_hash,
            source,
            row: Some(row),
            seal,
            ..
        } => {
            if start.is_none() {
                start = Some((seq - 1, hash_from_hex(&previous_chain_hash)));
            }
            let is_acceptance = source == Source::StaffAudit.as_str()
                && row.get("event").and_then(Value::as_str) == Some(ACCEPTED_EVENT);
            if is_acceptance
                && let Some((fields, erased)) = fields_of(Source::StaffAudit, &row)
                && keys.check(
                    &content_with(Source::StaffAudit, &fields, &erased),
                    decode(&seal).as_deref(),
                ) == SealCheck::Valid
                && let Some(Some(subject)) = fields.first().map(|(_, v)| v.clone())
            {
                merge_accepted(&subject, ACCEPTED_SUBJECT, &mut accepted);
            }
        }
        Record::Entry {
            seq,
            previous_chain_hash,
            ..
        } => {
            if start.is_none() {
                start = Some((seq - 1, hash_from_hex(&previous_chain_hash)));
            }
        }
        Record::Checkpoint { seq, ref seal, .. } => {
            // A stream repeats what it may not have delivered: the same checkpoint counts once.
            if repeated_checkpoints.insert((seq, seal.clone())) {
                checkpoints.push(record);
            }
        }
    })?;
    let mut walk = Walk::new(keys, accepted, start.unwrap_or(Walk::GENESIS_START));
    for kept in checkpoints.into_iter().filter_map(KeptCheckpoint::of) {
        kept.feed(&mut walk);
    }
    let mut delivered = Delivered::default();
    for_each_record(open()?, |record| {
        if let Record::Entry {
            seq,
            source,
            id,
            entry_hash,
            chain_hash,
            row,
            seal,
            ..
        } = record
        {
            let chain_hash = hash_from_hex(&chain_hash);
            if delivered.repeats(seq, &chain_hash) {
                return;
            }
            let source = Source::parse(&source);
            let seal = decode(&seal);
            let row = source.zip(row).map(|(s, row)| Row {
                content: fields_of(s, &row)
                    .map(|(f, erased)| content_with(s, &f, &erased))
                    .unwrap_or([0xff; 32]),
                seal: seal.as_deref(),
            });
            walk.entry(&Entry {
                seq,
                source,
                id,
                entry_hash: hash_from_hex(&entry_hash),
                chain_hash,
                row,
            });
        }
    })?;
    Ok(walk.finish())
}

/// The chain hashes an export has shown, to recognise an entry a stream delivered again (the
/// syslog stream repeats its last entries after a reconnect, which the collector keeps).
#[derive(Default)]
struct Delivered {
    last: i64,
    hashes: HashMap<i64, crate::audit::Hash>,
}

impl Delivered {
    /// Whether entry `seq` was shown before with the same chain hash (a repeat, skipped); an
    /// earlier sequence number with another hash is walked, and named.
    fn repeats(&mut self, seq: i64, chain_hash: &crate::audit::Hash) -> bool {
        if seq <= self.last && self.hashes.get(&seq) == Some(chain_hash) {
            return true;
        }
        self.last = self.last.max(seq);
        self.hashes.insert(seq, *chain_hash);
        false
    }
}

/// A signed checkpoint read from an export.
#[derive(Debug, Clone)]
pub struct KeptCheckpoint {
    seq: i64,
    chain_hash: crate::audit::Hash,
    digest: crate::audit::Hash,
    seal: Vec<u8>,
}

impl KeptCheckpoint {
    fn of(record: Record) -> Option<Self> {
        let Record::Checkpoint {
            seq,
            chain_hash,
            created_at,
            seal,
        } = record
        else {
            return None;
        };
        let chain_hash = hash_from_hex(&chain_hash);
        let digest = NaiveDateTime::parse_from_str(&created_at, "%Y-%m-%d %H:%M:%S%.f")
            .map(|at| crate::audit::checkpoint_digest(seq, &chain_hash, at))
            .unwrap_or_default();
        Some(Self {
            seq,
            chain_hash,
            digest,
            seal: decode(&Some(seal)).unwrap_or_default(),
        })
    }

    /// Hands the checkpoint to a walk, which checks its seal and the chain against it.
    pub(in crate::services::audit) fn feed(&self, walk: &mut Walk<'_>) {
        walk.checkpoint(self.seq, self.chain_hash, &self.digest, &self.seal);
    }
}

/// The signed checkpoints of an export kept outside the database, to check today's chain
/// against (`audit verify --against`): a chain rewritten or cut short since then is named.
pub fn kept_checkpoints<R: BufRead>(reader: R) -> Result<Vec<KeptCheckpoint>, ExportError> {
    let mut out = Vec::new();
    for_each_record(reader, |record| out.extend(KeptCheckpoint::of(record)))?;
    Ok(out)
}

fn for_each_record<R: BufRead>(reader: R, mut each: impl FnMut(Record)) -> Result<(), ExportError> {
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line).map_err(|e| ExportError::Malformed {
            line: n + 1,
            why: e.to_string(),
        })?;
        each(record);
    }
    Ok(())
}

/// A row's fields from an export, in column order; `None` unless it has exactly the table's
/// fields, each a string or null.
/// A row of an export as its fields and the ones erased from it; `None` if it is not a whole
/// row of `source`.
fn fields_of(source: Source, row: &Map<String, Value>) -> Option<(Fields, Erased)> {
    if row.len() != source.field_names().len() {
        return None;
    }
    let mut erased = Vec::new();
    let mut fields = Vec::new();
    for (i, &name) in source.field_names().iter().enumerate() {
        match row.get(name)? {
            Value::Null => fields.push((name, None)),
            Value::String(s) => fields.push((name, Some(s.clone()))),
            Value::Object(marker) if marker.len() == 1 => {
                let digest = marker.get(super::ERASED_KEY)?.as_str()?;
                erased.push((i, hash_from_hex(digest)));
                fields.push((name, None));
            }
            _ => return None,
        }
    }
    Some((fields, erased))
}

fn hash_from_hex(text: &str) -> crate::audit::Hash {
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0xff; 32])
}

fn decode(seal: &Option<String>) -> Option<Vec<u8>> {
    seal.as_ref()
        .map(|s| STANDARD.decode(s).unwrap_or_default())
}
