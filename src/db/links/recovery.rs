//! Links a crash or an outage left mid-way, and the compare-and-set that lets one instance take
//! each of them over.

use super::LinkRow;
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
    Ok(links::table
        .filter(links::state.eq_any(states))
        .filter(links::updated_at.lt(before))
        .order(links::updated_at.asc())
        .limit(limit)
        .load::<LinkRow>(conn)?)
}

/// Claims a stale link for recovery by moving its `updated_at` to `now`, if nobody changed it
/// since it was read, and returns the claimed row. Of several instances racing for one link,
/// exactly one gets it.
pub fn claim(
    conn: &mut DbConnection,
    link: &LinkRow,
    now: NaiveDateTime,
) -> Result<Option<LinkRow>, DbError> {
    Ok(diesel::update(links::table)
        .filter(links::id.eq(&link.id))
        .filter(links::state.eq(link.state.as_str()))
        .filter(links::updated_at.eq(link.updated_at))
        .set(links::updated_at.eq(now))
        .returning(links::all_columns)
        .get_results::<LinkRow>(conn)?
        .pop())
}
