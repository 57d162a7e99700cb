//! The live stream's cursor: how far the chain was sent to the collector, and which instance
//! streams now (a lease, so a fleet sends one stream, and another instance takes over when the
//! holder stops renewing).

use crate::db::schema::audit_stream_cursors as cursors;
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// How far a stream has sent the chain: entries and signed checkpoints up to these sequence
/// numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub entry_seq: i64,
    pub checkpoint_seq: i64,
}

impl Cursor {
    /// The further of two cursors, field by field.
    pub fn max_with(self, other: Cursor) -> Cursor {
        Cursor {
            entry_seq: self.entry_seq.max(other.entry_seq),
            checkpoint_seq: self.checkpoint_seq.max(other.checkpoint_seq),
        }
    }
}

/// Takes or renews the lease on stream `name` for `holder` until `until`, and returns its cursor;
/// `None` while another holder's lease runs.
pub fn claim(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    until: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<Option<Cursor>, DbError> {
    let exists = diesel::select(diesel::dsl::exists(
        cursors::table.filter(cursors::name.eq(name)),
    ))
    .get_result::<bool>(conn)?;
    if !exists {
        // Two instances may both find it missing; the second insert loses harmlessly.
        match diesel::insert_into(cursors::table)
            .values((cursors::name.eq(name), cursors::updated_at.eq(now)))
            .execute(conn)
        {
            Err(e) if crate::db::is_unique_violation(&e) => {}
            other => {
                other?;
            }
        }
    }
    conn.write_transaction(|c| {
        let free = cursors::holder
            .is_null()
            .or(cursors::holder.eq(holder))
            .or(cursors::lease_until.lt(now));
        let taken = diesel::update(cursors::table.filter(cursors::name.eq(name)).filter(free))
            .set((cursors::holder.eq(holder), cursors::lease_until.eq(until)))
            .execute(c)?;
        if taken == 0 {
            return Ok(None);
        }
        let (entry_seq, checkpoint_seq) = cursors::table
            .select((cursors::entry_seq, cursors::checkpoint_seq))
            .filter(cursors::name.eq(name))
            .first(c)?;
        Ok(Some(Cursor {
            entry_seq,
            checkpoint_seq,
        }))
    })
}

/// Moves stream `name` forward to `sent` if `holder` still holds it; never backwards. Returns
/// whether it held the lease.
pub fn advance(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    sent: Cursor,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    conn.write_transaction(|c| {
        let held: Option<(i64, i64)> = cursors::table
            .select((cursors::entry_seq, cursors::checkpoint_seq))
            .filter(cursors::name.eq(name))
            .filter(cursors::holder.eq(holder))
            .first(c)
            .optional()?;
        let Some((entry_seq, checkpoint_seq)) = held else {
            return Ok(false);
        };
        diesel::update(cursors::table.filter(cursors::name.eq(name)))
            .set((
                cursors::entry_seq.eq(entry_seq.max(sent.entry_seq)),
                cursors::checkpoint_seq.eq(checkpoint_seq.max(sent.checkpoint_seq)),
                cursors::updated_at.eq(now),
            ))
            .execute(c)?;
        Ok(true)
    })
}

/// Gives the lease on stream `name` up, so another instance streams at once (at shutdown).
pub fn release(conn: &mut DbConnection, name: &str, holder: &str) -> Result<(), DbError> {
    diesel::update(
        cursors::table
            .filter(cursors::name.eq(name))
            .filter(cursors::holder.eq(holder)),
    )
    .set((
        cursors::holder.eq(None::<String>),
        cursors::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}
