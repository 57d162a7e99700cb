//! Links a crash or an outage left mid-way, and the compare-and-set that lets one instance (or
//! one request) take a link over.

use super::row::{OwnChanges, linked};
use super::{LinkRow, find};
use crate::db::schema::links;
use crate::db::{DbConnection, DbError};
use crate::domain::LinkState;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Links left in `pending`, `exchanging` or `verifying` and untouched since `before`, oldest
/// first.
pub fn stale_in_flight(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    limit: i64,
) -> Result<Vec<LinkRow>, DbError> {
    let states = [
        LinkState::Pending,
        LinkState::Exchanging,
        LinkState::Verifying,
    ]
    .map(LinkState::as_str);
    Ok(linked()
        .filter(links::state.eq_any(states))
        .filter(links::updated_at.lt(before))
        .order(links::updated_at.asc())
        .limit(limit)
        .load::<LinkRow>(conn)?)
}

/// Claims a link as it was read: moves its `updated_at` to `now` and writes `changes`, if nobody
/// changed the row since it was read, and returns the claimed link (read under the claim's row
/// lock, so it is the version the claim wrote). Of several requests or
/// instances racing for one link, exactly one gets it. Recovery claims stale links with no
/// changes; a resend claims its slot (`last_resend_at`, the daily count) before calling Wise.
pub fn claim(
    conn: &mut DbConnection,
    link: &LinkRow,
    changes: &OwnChanges,
    now: NaiveDateTime,
) -> Result<Option<LinkRow>, DbError> {
    conn.write_transaction(|c| {
        let n = diesel::update(links::table)
            .filter(links::id.eq(&link.id))
            .filter(links::state.eq(link.state.as_str()))
            .filter(links::updated_at.eq(link.updated_at))
            .set((links::updated_at.eq(now), changes))
            .execute(c)?;
        if n == 0 {
            return Ok(None);
        }
        find(c, &link.id)
    })
}
