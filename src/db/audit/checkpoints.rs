//! Signed checkpoints of the chain's head.

use super::{head, sealer_lock};
use crate::audit::{self, Hash, SigningKeys};
use crate::db::schema::audit_checkpoints;
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A signed checkpoint as stored.
#[derive(Debug, Clone, Queryable)]
pub struct CheckpointRow {
    pub seq: i64,
    pub chain_hash: Vec<u8>,
    pub created_at: NaiveDateTime,
    pub seal: Vec<u8>,
}

impl CheckpointRow {
    /// The digest its seal signed.
    pub fn digest(&self) -> Hash {
        let hash: Hash = self.chain_hash.as_slice().try_into().unwrap_or([0; 32]);
        audit::checkpoint_digest(self.seq, &hash, self.created_at)
    }
}

/// Signs the chain's head as a checkpoint if the last one is `every` old (or there is none) and
/// the chain grew since. Returns the new checkpoint's sequence number.
pub fn checkpoint_if_due(
    conn: &mut DbConnection,
    keys: &SigningKeys,
    every: chrono::Duration,
    now: NaiveDateTime,
) -> Result<Option<i64>, DbError> {
    conn.write_transaction(|c| {
        if !sealer_lock(c)? {
            return Ok(None);
        }
        let last: Option<(i64, NaiveDateTime)> = audit_checkpoints::table
            .select((audit_checkpoints::seq, audit_checkpoints::created_at))
            .order(audit_checkpoints::seq.desc())
            .first(c)
            .optional()?;
        let (seq, hash) = head(c)?;
        let due = match last {
            None => seq > 0,
            Some((last_seq, at)) => seq > last_seq && now - at >= every,
        };
        if !due {
            return Ok(None);
        }
        let seal = keys.seal(&audit::checkpoint_digest(seq, &hash, now));
        diesel::insert_into(audit_checkpoints::table)
            .values((
                audit_checkpoints::seq.eq(seq),
                audit_checkpoints::chain_hash.eq(hash.to_vec()),
                audit_checkpoints::created_at.eq(now),
                audit_checkpoints::seal.eq(seal),
            ))
            .execute(c)?;
        Ok(Some(seq))
    })
}

/// Every checkpoint, oldest first.
pub fn checkpoints(conn: &mut DbConnection) -> Result<Vec<CheckpointRow>, DbError> {
    Ok(audit_checkpoints::table
        .order(audit_checkpoints::seq.asc())
        .load(conn)?)
}

/// The checkpoints after `after` up to `through`, oldest first.
pub fn checkpoints_between(
    conn: &mut DbConnection,
    after: i64,
    through: i64,
) -> Result<Vec<CheckpointRow>, DbError> {
    Ok(audit_checkpoints::table
        .filter(audit_checkpoints::seq.gt(after))
        .filter(audit_checkpoints::seq.le(through))
        .order(audit_checkpoints::seq.asc())
        .load(conn)?)
}
