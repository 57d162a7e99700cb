//! `wiselink audit verify`: walks the chain from its first entry, checks each entry's hash
//! against the one before and against its row, each row's seal against its content, each signed
//! checkpoint against the chain, and then the rows not yet chained. Each problem is a
//! [`Finding`], in the order met: the first one names the first entry that was changed, removed
//! or inserted. `export` writes the chain out and checks an export with public keys alone.
//!
//! A row without a seal is accepted in two cases only: it was chained before the first sealed
//! row (history from before sealing began, which the upgrade queued ahead of everything), or a
//! sealed staff audit row accepted rows up to its id (`wiselink audit accept-unsealed`, for rows
//! an older release wrote during a rolling upgrade). Both are in the chain, so neither can be
//! widened in SQL.

pub mod export;
pub mod stream;
mod walk;

pub use walk::{Finding, Report};

use crate::audit::{Hash, PublicKeys, SealCheck, SigningKeys, Source};
use crate::db::audit::{self as store, Rows};
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;
use std::collections::HashMap;
use walk::{Entry, Row, Walk, merge_accepted};

/// The staff audit event that accepts rows without seals, and its subject's prefix.
pub const ACCEPTED_EVENT: &str = "unsealed_rows_accepted";
pub(crate) const ACCEPTED_SUBJECT: &str = "audit:";

/// Walks the whole audit trail, checking it also against checkpoints `kept` outside the database.
/// Reads only; safe while the service runs.
pub fn verify(
    conn: &mut DbConnection,
    keys: &PublicKeys,
    kept: &[export::KeptCheckpoint],
) -> Result<Report, DbError> {
    let mut walk = Walk::new(keys, accepted(conn, keys)?, Walk::GENESIS_START);
    for checkpoint in kept {
        checkpoint.feed(&mut walk);
    }
    for checkpoint in store::checkpoints(conn)? {
        walk.checkpoint(
            checkpoint.seq,
            to_hash(&checkpoint.chain_hash),
            &checkpoint.digest(),
            &checkpoint.seal,
        );
    }
    store::for_each_entry(conn, 0, |stored, rows| {
        let source = Source::parse(&stored.source);
        let row = source
            .and_then(|s| rows.get(s, stored.source_id))
            .map(|(content, seal)| Row { content, seal });
        walk.entry(&Entry {
            seq: stored.seq,
            source,
            id: stored.source_id,
            entry_hash: to_hash(&stored.entry_hash),
            chain_hash: to_hash(&stored.chain_hash),
            row,
        });
        Ok::<_, DbError>(())
    })?;
    let queued = store::pending(conn)?;
    let rows = Rows::load(conn, &queued)?;
    for &(source, id) in &queued {
        if let Some((content, seal)) = rows.get(source, id)
            && walk.row(source, id, &content, seal)
        {
            walk.pending();
        }
    }
    for source in Source::ALL {
        for id in store::unqueued(conn, source)? {
            walk.found(Finding::Inserted { source, id });
        }
    }
    Ok(walk.finish())
}

/// A stored hash; one of the wrong length reads as all ones, which no hash equals.
pub(crate) fn to_hash(bytes: &[u8]) -> Hash {
    bytes.try_into().unwrap_or([0xff; 32])
}

/// The bounds accepted by sealed `unsealed_rows_accepted` rows: the highest per table.
fn accepted(conn: &mut DbConnection, keys: &PublicKeys) -> Result<HashMap<Source, i64>, DbError> {
    let mut out = HashMap::new();
    for row in store::staff_rows_of(conn, ACCEPTED_EVENT)? {
        if keys.check(&row.content(), row.seal.as_deref()) == SealCheck::Valid {
            merge_accepted(&row.username, ACCEPTED_SUBJECT, &mut out);
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
