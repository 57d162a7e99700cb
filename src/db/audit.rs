//! The audit chain's store: the sealer's pass, and what `wiselink audit verify` reads.

use crate::audit::{self, GENESIS, Hash, Source};
use crate::db::links::EventRow;
use crate::db::schema::{audit_chain, audit_pending, link_events, staff_audit};
use crate::db::staff::AuditRow;
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::{HashMap, HashSet};

mod checkpoints;
pub mod stream;

pub use checkpoints::{CheckpointRow, checkpoint_if_due, checkpoints, checkpoints_between};

/// The advisory lock that lets one sealer at a time extend the chain on PostgreSQL (SQLite's
/// write lock does the same there).
const SEALER_LOCK: i64 = 0x7769_7365_6175_6469; // "wiseaudi"

/// One chain entry as stored.
#[derive(Debug, Clone, Queryable)]
pub struct ChainRow {
    pub seq: i64,
    pub source: String,
    pub source_id: i64,
    pub entry_hash: Vec<u8>,
    pub chain_hash: Vec<u8>,
    pub sealed_at: NaiveDateTime,
}

/// The rows of one batch, by table and id.
#[derive(Debug, Default)]
pub struct Rows {
    pub events: HashMap<i64, EventRow>,
    pub staff: HashMap<i64, AuditRow>,
}

impl Rows {
    /// Loads the rows of `ids` (table, id) that still exist.
    pub fn load(conn: &mut DbConnection, ids: &[(Source, i64)]) -> Result<Self, DbError> {
        let of = |wanted: Source| -> Vec<i64> {
            ids.iter()
                .filter(|(s, _)| *s == wanted)
                .map(|(_, id)| *id)
                .collect()
        };
        let (event_ids, staff_ids) = (of(Source::LinkEvents), of(Source::StaffAudit));
        let mut rows = Rows::default();
        for chunk in event_ids.chunks(500) {
            let found: Vec<EventRow> = link_events::table
                .filter(link_events::id.eq_any(chunk))
                .load(conn)?;
            rows.events.extend(found.into_iter().map(|r| (r.id, r)));
        }
        for chunk in staff_ids.chunks(500) {
            let found: Vec<AuditRow> = staff_audit::table
                .filter(staff_audit::id.eq_any(chunk))
                .load(conn)?;
            rows.staff.extend(found.into_iter().map(|r| (r.id, r)));
        }
        Ok(rows)
    }

    /// A row's content digest and seal, if the row exists.
    pub fn get(&self, source: Source, id: i64) -> Option<(Hash, Option<&[u8]>)> {
        match source {
            Source::LinkEvents => self
                .events
                .get(&id)
                .map(|r| (r.content(), r.seal.as_deref())),
            Source::StaffAudit => self
                .staff
                .get(&id)
                .map(|r| (r.content(), r.seal.as_deref())),
        }
    }

    /// A row's fields, the ones erased from it (by position and digest) and its seal, if the row
    /// exists.
    pub fn fields(
        &self,
        source: Source,
        id: i64,
    ) -> Option<(audit::Fields, audit::Erased, Option<&[u8]>)> {
        match source {
            Source::LinkEvents => self.events.get(&id).map(|r| {
                let erased = r.erased().unwrap_or_default();
                (r.fields(), erased, r.seal.as_deref())
            }),
            Source::StaffAudit => self
                .staff
                .get(&id)
                .map(|r| (r.fields(), Vec::new(), r.seal.as_deref())),
        }
    }

    /// The digest a chain entry holds for a row: of the row if it exists, of its absence if not.
    pub fn entry_hash(&self, source: Source, id: i64) -> Hash {
        match self.get(source, id) {
            Some((content, seal)) => audit::entry_hash(source, id, &content, seal),
            None => audit::missing_hash(source, id),
        }
    }
}

/// Appends up to `limit` queued rows to the chain, in the order they were queued, and takes them
/// off the queue. Returns how many it chained; 0 when the queue is empty or another sealer holds
/// the chain.
pub fn seal_pending(
    conn: &mut DbConnection,
    limit: i64,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    conn.write_transaction(|c| {
        if !sealer_lock(c)? {
            return Ok(0);
        }
        let queued: Vec<(i64, String, i64)> = audit_pending::table
            .select((
                audit_pending::id,
                audit_pending::source,
                audit_pending::source_id,
            ))
            .order(audit_pending::id.asc())
            .limit(limit)
            .load(c)?;
        if queued.is_empty() {
            return Ok(0);
        }
        let ids: Vec<(Source, i64)> = queued
            .iter()
            .filter_map(|(_, s, id)| Source::parse(s).map(|s| (s, *id)))
            .collect();
        let mut chained = already_chained(c, &ids)?;
        let rows = Rows::load(c, &ids)?;
        let (mut seq, mut previous) = head(c)?;
        let mut entries = Vec::with_capacity(ids.len());
        for &(source, id) in &ids {
            if !chained.insert((source, id)) {
                continue;
            }
            let entry = rows.entry_hash(source, id);
            seq += 1;
            previous = audit::chain_hash(&previous, seq, &entry);
            entries.push((
                audit_chain::seq.eq(seq),
                audit_chain::source.eq(source.as_str()),
                audit_chain::source_id.eq(id),
                audit_chain::entry_hash.eq(entry.to_vec()),
                audit_chain::chain_hash.eq(previous.to_vec()),
                audit_chain::sealed_at.eq(now),
            ));
        }
        match c {
            // One statement per 200 entries; SQLite writes in-process, one at a time.
            DbConnection::Postgresql(pg) => {
                for chunk in entries.chunks(200) {
                    diesel::insert_into(audit_chain::table)
                        .values(chunk)
                        .execute(pg)?;
                }
            }
            DbConnection::Sqlite(sqlite) => {
                for entry in &entries {
                    diesel::insert_into(audit_chain::table)
                        .values(entry.clone())
                        .execute(sqlite)?;
                }
            }
        }
        let taken: Vec<i64> = queued.iter().map(|(id, _, _)| *id).collect();
        diesel::delete(audit_pending::table.filter(audit_pending::id.eq_any(&taken))).execute(c)?;
        Ok(entries.len())
    })
}

/// Takes the sealer's turn on PostgreSQL (for the rest of the transaction); whether it was free.
/// SQLite's write lock already gives one writer at a time.
pub(super) fn sealer_lock(conn: &mut DbConnection) -> Result<bool, DbError> {
    use diesel::sql_types::Bool;
    if let DbConnection::Sqlite(_) = conn {
        return Ok(true);
    }
    let take = format!("pg_try_advisory_xact_lock({SEALER_LOCK})");
    Ok(diesel::select(diesel::dsl::sql::<Bool>(&take)).get_result(conn)?)
}

/// Which of `ids` the chain already holds (a row queued twice is chained once).
fn already_chained(
    conn: &mut DbConnection,
    ids: &[(Source, i64)],
) -> Result<HashSet<(Source, i64)>, DbError> {
    let mut out = HashSet::new();
    for source in Source::ALL {
        let wanted: Vec<i64> = ids
            .iter()
            .filter(|(s, _)| *s == source)
            .map(|(_, id)| *id)
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let found: Vec<i64> = audit_chain::table
            .select(audit_chain::source_id)
            .filter(audit_chain::source.eq(source.as_str()))
            .filter(audit_chain::source_id.eq_any(&wanted))
            .load(conn)?;
        out.extend(found.into_iter().map(|id| (source, id)));
    }
    Ok(out)
}

/// The last entry's sequence number and hash, or 0 and the genesis hash.
pub fn head(conn: &mut DbConnection) -> Result<(i64, Hash), DbError> {
    let last: Option<(i64, Vec<u8>)> = audit_chain::table
        .select((audit_chain::seq, audit_chain::chain_hash))
        .order(audit_chain::seq.desc())
        .first(conn)
        .optional()?;
    Ok(match last {
        Some((seq, hash)) => (seq, hash.try_into().unwrap_or([0xff; 32])),
        None => (0, GENESIS),
    })
}

/// The first chain entry sealed at or after `since`.
pub fn first_sealed_since(
    conn: &mut DbConnection,
    since: NaiveDateTime,
) -> Result<Option<i64>, DbError> {
    Ok(audit_chain::table
        .select(audit_chain::seq)
        .filter(audit_chain::sealed_at.ge(since))
        .order(audit_chain::seq.asc())
        .first(conn)
        .optional()?)
}

/// The chain hash of entry `seq` (the genesis hash for 0).
pub fn chain_hash_at(conn: &mut DbConnection, seq: i64) -> Result<Option<Hash>, DbError> {
    if seq == 0 {
        return Ok(Some(GENESIS));
    }
    let hash: Option<Vec<u8>> = audit_chain::table
        .select(audit_chain::chain_hash)
        .filter(audit_chain::seq.eq(seq))
        .first(conn)
        .optional()?;
    Ok(hash.and_then(|h| h.try_into().ok()))
}

/// Calls `each` with every chain entry after `after`, in order, a page at a time, with the rows
/// of the page's entries that still exist.
pub fn for_each_entry<E: From<DbError>>(
    conn: &mut DbConnection,
    after: i64,
    mut each: impl FnMut(&ChainRow, &Rows) -> Result<(), E>,
) -> Result<(), E> {
    const PAGE: i64 = 1_000;
    let mut after = after;
    loop {
        let page = entries(conn, after, PAGE)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.seq;
        let ids: Vec<(Source, i64)> = page
            .iter()
            .filter_map(|e| Source::parse(&e.source).map(|s| (s, e.source_id)))
            .collect();
        let rows = Rows::load(conn, &ids)?;
        for entry in &page {
            each(entry, &rows)?;
        }
    }
}

/// Chain entries after `after`, in order.
pub fn entries(conn: &mut DbConnection, after: i64, limit: i64) -> Result<Vec<ChainRow>, DbError> {
    Ok(audit_chain::table
        .filter(audit_chain::seq.gt(after))
        .order(audit_chain::seq.asc())
        .limit(limit)
        .load(conn)?)
}

/// How many rows wait for the chain.
pub fn pending_count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(audit_pending::table.count().get_result(conn)?)
}

/// The rows queued for the chain, in queue order.
pub fn pending(conn: &mut DbConnection) -> Result<Vec<(Source, i64)>, DbError> {
    let queued: Vec<(String, i64)> = audit_pending::table
        .select((audit_pending::source, audit_pending::source_id))
        .order(audit_pending::id.asc())
        .load(conn)?;
    Ok(queued
        .into_iter()
        .filter_map(|(s, id)| Source::parse(&s).map(|s| (s, id)))
        .collect())
}

/// Rows of `source` that are neither in the chain nor queued for it: written with the queue's
/// trigger switched off.
pub fn unqueued(conn: &mut DbConnection, source: Source) -> Result<Vec<i64>, DbError> {
    let chained = audit_chain::table
        .select(audit_chain::source_id)
        .filter(audit_chain::source.eq(source.as_str()));
    let queued = audit_pending::table
        .select(audit_pending::source_id)
        .filter(audit_pending::source.eq(source.as_str()));
    Ok(match source {
        Source::LinkEvents => link_events::table
            .select(link_events::id)
            .filter(link_events::id.ne_all(chained))
            .filter(link_events::id.ne_all(queued))
            .order(link_events::id.asc())
            .load(conn)?,
        Source::StaffAudit => staff_audit::table
            .select(staff_audit::id)
            .filter(staff_audit::id.ne_all(chained))
            .filter(staff_audit::id.ne_all(queued))
            .order(staff_audit::id.asc())
            .load(conn)?,
    })
}

/// The staff audit rows that record `event`, oldest first.
pub fn staff_rows_of(conn: &mut DbConnection, event: &str) -> Result<Vec<AuditRow>, DbError> {
    Ok(staff_audit::table
        .filter(staff_audit::event.eq(event))
        .order(staff_audit::id.asc())
        .load(conn)?)
}

/// The newest id of each table of the audit trail (0 for an empty one).
pub fn newest_ids(conn: &mut DbConnection) -> Result<(i64, i64), DbError> {
    use diesel::dsl::max;
    let events: Option<i64> = link_events::table
        .select(max(link_events::id))
        .first(conn)?;
    let staff: Option<i64> = staff_audit::table
        .select(max(staff_audit::id))
        .first(conn)?;
    Ok((events.unwrap_or(0), staff.unwrap_or(0)))
}
