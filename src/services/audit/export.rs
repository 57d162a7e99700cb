//! `wiselink audit export`: the chain from a date on, each entry with its row's fields and seal,
//! then the signed checkpoints in that stretch, as JSON Lines (which `audit check-export` checks
//! with the public keys alone) or CSV (for a SIEM). Each export is itself a row of the staff
//! audit.

mod check;

pub use check::{KeptCheckpoint, check_export, kept_checkpoints};

use super::to_hash;
use crate::audit::{Erased, Fields, Hash, SigningKeys, Source, timestamp};
use crate::db::audit::{self as store, ChainRow, CheckpointRow, Rows};
use crate::db::{DbConnection, DbError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::io::Write;

/// The staff audit event each export writes.
pub const EXPORTED_EVENT: &str = "audit_exported";

/// One line of a JSON Lines export.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Record {
    Entry {
        seq: i64,
        source: String,
        id: i64,
        /// The hash of the entry before (hex): where this export's stretch of the chain starts.
        previous_chain_hash: String,
        entry_hash: String,
        chain_hash: String,
        sealed_at: String,
        /// The row's fields by name (strings or null); absent when the row was gone.
        row: Option<Map<String, Value>>,
        /// The row's seal (base64); absent for a row written before rows were sealed.
        seal: Option<String>,
    },
    Checkpoint {
        seq: i64,
        chain_hash: String,
        created_at: String,
        seal: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("line {line} of the export is not an audit record: {why}")]
    Malformed { line: usize, why: String },
}

/// Writes the chain entries sealed at or after `since` to `out`, then records the export in the
/// staff audit. Returns how many entries it wrote.
pub fn export(
    conn: &mut DbConnection,
    keys: &SigningKeys,
    since: NaiveDateTime,
    format: Format,
    out: &mut dyn Write,
    actor: &str,
    now: NaiveDateTime,
) -> Result<u64, ExportError> {
    if format == Format::Csv {
        writeln!(out, "{}", CSV_COLUMNS.join(","))?;
    }
    let mut written = 0;
    let mut last_seq = 0;
    if let Some(first) = store::first_sealed_since(conn, since)? {
        let mut previous = store::chain_hash_at(conn, first - 1)?.unwrap_or([0xff; 32]);
        store::for_each_entry(conn, first - 1, |entry, rows| {
            write_record(out, format, &entry_record(&previous, entry, rows))?;
            previous = to_hash(&entry.chain_hash);
            last_seq = entry.seq;
            written += 1;
            Ok::<_, ExportError>(())
        })?;
        for checkpoint in store::checkpoints(conn)? {
            if (first..=last_seq).contains(&checkpoint.seq) && format == Format::Jsonl {
                write_record(out, format, &checkpoint_record(&checkpoint))?;
            }
        }
    }
    out.flush()?;
    let format_name = match format {
        Format::Jsonl => "jsonl",
        Format::Csv => "csv",
    };
    let subject = format!(
        "audit:export since={} format={format_name} entries={written} through={last_seq}",
        timestamp(since)
    );
    crate::db::staff::audit(conn, keys, &subject, EXPORTED_EVENT, Some(actor), None, now)?;
    Ok(written)
}

/// The export's record of chain entry `entry`, whose predecessor's chain hash is `previous`, with
/// its row from `rows` (absent when the row is gone).
pub fn entry_record(previous: &Hash, entry: &ChainRow, rows: &Rows) -> Record {
    let row = Source::parse(&entry.source).and_then(|s| rows.fields(s, entry.source_id));
    Record::Entry {
        seq: entry.seq,
        source: entry.source.clone(),
        id: entry.source_id,
        previous_chain_hash: hex::encode(previous),
        entry_hash: hex::encode(&entry.entry_hash),
        chain_hash: hex::encode(&entry.chain_hash),
        sealed_at: timestamp(entry.sealed_at),
        row: row
            .as_ref()
            .map(|(fields, erased, _)| to_map(fields, erased)),
        seal: row.and_then(|(_, _, seal)| seal.map(|s| STANDARD.encode(s))),
    }
}

/// The export's record of a signed checkpoint.
pub fn checkpoint_record(checkpoint: &CheckpointRow) -> Record {
    Record::Checkpoint {
        seq: checkpoint.seq,
        chain_hash: hex::encode(&checkpoint.chain_hash),
        created_at: timestamp(checkpoint.created_at),
        seal: STANDARD.encode(&checkpoint.seal),
    }
}

/// A row's fields by name; an erased field is `{"erased_sha256": HEX}`, the digest that stands
/// for its value.
fn to_map(fields: &Fields, erased: &Erased) -> Map<String, Value> {
    fields
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let value = match erased.iter().find(|(at, _)| *at == i) {
                Some((_, digest)) => {
                    let mut marker = Map::new();
                    marker.insert(ERASED_KEY.to_owned(), Value::String(hex::encode(digest)));
                    Value::Object(marker)
                }
                None => value.clone().map_or(Value::Null, Value::String),
            };
            ((*name).to_owned(), value)
        })
        .collect()
}

/// The key of an erased field's digest in an export's row.
pub const ERASED_KEY: &str = "erased_sha256";

const CSV_COLUMNS: [&str; 16] = [
    "seq",
    "source",
    "id",
    "sealed_at",
    "created_at",
    "subject",
    "actor",
    "from_state",
    "to_state",
    "event",
    "reason",
    "wise_trace_id",
    "client_ip",
    "seal",
    "entry_hash",
    "chain_hash",
];

fn write_record(out: &mut dyn Write, format: Format, record: &Record) -> std::io::Result<()> {
    match format {
        Format::Jsonl => {
            serde_json::to_writer(&mut *out, record)?;
            writeln!(out)
        }
        Format::Csv => {
            let Record::Entry {
                seq,
                source,
                id,
                entry_hash,
                chain_hash,
                sealed_at,
                row,
                seal,
                ..
            } = record
            else {
                return Ok(());
            };
            let field = |name: &str| match row.as_ref().and_then(|r| r.get(name)) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Object(erased)) => match erased.get(ERASED_KEY) {
                    Some(Value::String(digest)) => format!("[erased sha256:{digest}]"),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            let subject = if source == Source::LinkEvents.as_str() {
                field("link_id")
            } else {
                field("username")
            };
            let cells = [
                seq.to_string(),
                source.clone(),
                id.to_string(),
                sealed_at.clone(),
                field("created_at"),
                subject,
                field("actor"),
                field("from_state"),
                field("to_state"),
                field("event"),
                field("reason"),
                field("wise_trace_id"),
                field("client_ip"),
                seal.clone().unwrap_or_default(),
                entry_hash.clone(),
                chain_hash.clone(),
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            writeln!(out, "{}", line.join(","))
        }
    }
}

/// A CSV cell: quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-`, `@`,
/// tab or carriage return is prefixed with `'`, so a spreadsheet shows a formula someone typed as
/// a username as text instead of running it.
fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_formulas_shown_as_text() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-1"), "'-1");
    }
}
