//! What the live stream sends next: the chain entries after a cursor, each as the record an export
//! would hold, then the signed checkpoints those entries reach.

use super::export::{checkpoint_record, entry_record};
use super::to_hash;
use crate::audit::syslog::MsgId;
use crate::db::audit::stream::Cursor;
use crate::db::audit::{self as store, Rows};
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;

/// The staff audit event a stream writes each time it connects to the collector.
pub const CONNECTED_EVENT: &str = "audit_stream_connected";

/// One record to send.
#[derive(Debug, Clone)]
pub struct Message {
    pub msgid: MsgId,
    /// When the entry was chained, or the checkpoint signed.
    pub at: NaiveDateTime,
    /// The record as one line of a JSON Lines export.
    pub json: String,
}

/// The records after a cursor, and the cursor once they are sent.
#[derive(Debug, Default)]
pub struct Batch {
    pub messages: Vec<Message>,
    pub sent: Cursor,
}

/// Up to `limit` entries after `from`, then the checkpoints after `from`'s up to the last of them.
/// Reads only.
pub fn next_batch(conn: &mut DbConnection, from: Cursor, limit: i64) -> Result<Batch, DbError> {
    let entries = store::entries(conn, from.entry_seq, limit)?;
    let mut batch = Batch {
        messages: Vec::with_capacity(entries.len()),
        sent: from,
    };
    let Some(last) = entries.last() else {
        return Ok(batch);
    };
    batch.sent.entry_seq = last.seq;
    let ids: Vec<_> = entries
        .iter()
        .filter_map(|e| crate::audit::Source::parse(&e.source).map(|s| (s, e.source_id)))
        .collect();
    let rows = Rows::load(conn, &ids)?;
    let mut previous = store::chain_hash_at(conn, from.entry_seq)?.unwrap_or([0xff; 32]);
    for entry in &entries {
        batch.messages.push(Message {
            msgid: MsgId::Entry,
            at: entry.sealed_at,
            json: json(&entry_record(&previous, entry, &rows)),
        });
        previous = to_hash(&entry.chain_hash);
    }
    for checkpoint in store::checkpoints_between(conn, from.checkpoint_seq, last.seq)? {
        batch.sent.checkpoint_seq = checkpoint.seq;
        batch.messages.push(Message {
            msgid: MsgId::Checkpoint,
            at: checkpoint.created_at,
            json: json(&checkpoint_record(&checkpoint)),
        });
    }
    Ok(batch)
}

/// Where a new connection starts: `replay` entries before the cursor (and the checkpoints among
/// them), because nothing in TCP says the collector kept what its side accepted before the last
/// connection broke. Whoever reads the collector's store drops the repeats by sequence number,
/// as `audit check-export` does.
pub fn rewound(cursor: Cursor, replay: i64) -> Cursor {
    let entry_seq = (cursor.entry_seq - replay).max(0);
    Cursor {
        entry_seq,
        checkpoint_seq: cursor.checkpoint_seq.min(entry_seq),
    }
}

/// Records that the stream connected to `destination` and sends from `from` on, as a sealed
/// staff audit row (which the stream then carries too).
pub fn record_connection(
    conn: &mut DbConnection,
    keys: &crate::audit::SigningKeys,
    destination: &str,
    from: Cursor,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let subject = format!("audit:stream to={destination} after={}", from.entry_seq);
    crate::db::staff::audit(
        conn,
        keys,
        &subject,
        CONNECTED_EVENT,
        Some("system:audit_stream"),
        None,
        now,
    )
}

fn json(record: &super::export::Record) -> String {
    serde_json::to_string(record).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_connection_repeats_the_last_entries_and_their_checkpoints() {
        let cursor = Cursor {
            entry_seq: 1_200,
            checkpoint_seq: 1_150,
        };
        assert_eq!(
            rewound(cursor, 500),
            Cursor {
                entry_seq: 700,
                checkpoint_seq: 700
            }
        );
        assert_eq!(
            rewound(cursor, 20),
            Cursor {
                entry_seq: 1_180,
                checkpoint_seq: 1_150
            }
        );
        assert_eq!(rewound(cursor, 5_000), Cursor::default());
    }
}
