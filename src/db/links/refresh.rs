//! Token upkeep (`link_tokens`): the refresh lease. Whoever refreshes a link's tokens first claims
//! its lease with one `UPDATE … WHERE` that bumps `refresh_generation`; no row lock is held while Wise is called.
//! What the refresh found is written only if the generation is still the one claimed, so a worker
//! whose lease passed to another (it was too slow, or its instance froze) writes nothing; writing
//! it ends the lease and bumps the generation again, so a caller that read the link before can
//! tell that it was renewed meanwhile.
//!
//! A lease that ended without being settled means its holder died mid-call: Wise may have
//! replaced the tokens ([`TokenTimes::refresh_unsettled`](super::TokenTimes::refresh_unsettled)).

use super::LinkRow;
use super::row::{TokenChanges, linked};
use crate::db::schema::{link_tokens, links};
use crate::db::{DbConnection, DbError};
use crate::domain::{LinkId, LinkState};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Bool;

impl LinkRow {
    /// [`TokenTimes::refresh_unsettled`](super::TokenTimes::refresh_unsettled) of this link.
    pub fn refresh_unsettled(&self, now: NaiveDateTime) -> bool {
        self.token_times().refresh_unsettled(now)
    }

    /// Someone holds the refresh lease now.
    pub fn refresh_leased(&self, now: NaiveDateTime) -> bool {
        self.token_times().refresh_leased(now)
    }
}

/// Claims the refresh lease of up to `batch` active links due by `now` (and not leased), until
/// `lease_until`; returns them as claimed (each with its new generation). On PostgreSQL, rows
/// another instance is claiming are skipped, not waited for.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    batch: i64,
) -> Result<Vec<LinkRow>, DbError> {
    let due = link_tokens::table
        .inner_join(links::table)
        .filter(links::state.eq(LinkState::Active.as_str()))
        .filter(link_tokens::refresh_due_at.le(now))
        .filter(
            link_tokens::refresh_leased_until
                .is_null()
                .or(link_tokens::refresh_leased_until.le(now)),
        )
        .order(link_tokens::refresh_due_at.asc())
        .limit(batch)
        .select(link_tokens::link_id);
    conn.write_transaction(|c| {
        let ids: Vec<LinkId> = match c {
            DbConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
            DbConnection::Sqlite(_) => due.load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        take_leases(c, &ids, Claim::Due, now, lease_until)
    })
}

/// Those of `ids` that are active links: token upkeep applies to active links only. (A subquery
/// on the primary key, so it reads only these links. The updates also name the ids directly, so
/// the planner reaches their rows by primary key whatever its statistics say of the due times.)
type ActiveAmong<'a> = diesel::dsl::Select<
    diesel::dsl::Filter<
        diesel::dsl::Filter<links::table, diesel::dsl::EqAny<links::id, &'a [LinkId]>>,
        diesel::dsl::Eq<links::state, &'static str>,
    >,
    links::id,
>;

fn active_among(ids: &[LinkId]) -> ActiveAmong<'_> {
    links::table
        .filter(links::id.eq_any(ids))
        .filter(links::state.eq(LinkState::Active.as_str()))
        .select(links::id)
}

/// What a claim checks again in its `UPDATE`, beyond the lease being free.
#[derive(Clone, Copy)]
enum Claim {
    /// The refresher: still due.
    Due,
    /// An access-token caller: nobody claimed the lease since the caller read the link at this
    /// generation (else someone refreshed meanwhile, and the caller should read again).
    Unchanged(i64),
}

/// Claims one active link's lease (whatever its due time) for a caller that read it at
/// `generation`, unless someone holds the lease or took it since.
pub fn claim_one(
    conn: &mut DbConnection,
    id: &LinkId,
    generation: i64,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> Result<Option<LinkRow>, DbError> {
    let ids = std::slice::from_ref(id);
    Ok(conn
        .write_transaction(|c| take_leases(c, ids, Claim::Unchanged(generation), now, lease_until))?
        .pop())
}

/// Takes the leases (only `link_tokens` is written) and reads the links claimed.
fn take_leases(
    conn: &mut DbConnection,
    ids: &[LinkId],
    claim: Claim,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> Result<Vec<LinkRow>, DbError> {
    let (due_by, generation) = match claim {
        Claim::Due => (Some(now), None),
        Claim::Unchanged(g) => (None, Some(g)),
    };
    // A lease that ended without being settled: its holder died (or froze) with a refresh out,
    // so what Wise did is unknown. Remembered before the lease is taken again.
    diesel::update(link_tokens::table)
        .filter(link_tokens::link_id.eq_any(ids))
        .filter(link_tokens::link_id.eq_any(active_among(ids)))
        .filter(link_tokens::refresh_leased_until.le(now))
        .filter(link_tokens::refresh_in_doubt_at.is_null())
        .set(link_tokens::refresh_in_doubt_at.eq(now))
        .execute(conn)?;
    // The conditions are checked again by the UPDATE itself, so of two claimers of one link
    // exactly one gets it, and a link renewed meanwhile is not claimed again.
    let claimed: Vec<LinkId> = diesel::update(link_tokens::table)
        .filter(link_tokens::link_id.eq_any(ids))
        .filter(link_tokens::link_id.eq_any(active_among(ids)))
        .filter(
            link_tokens::refresh_leased_until
                .is_null()
                .or(link_tokens::refresh_leased_until.le(now)),
        )
        .filter(
            link_tokens::refresh_due_at
                .le(due_by.unwrap_or(now))
                .or(due_by.is_none().into_sql::<Bool>()),
        )
        .filter(
            link_tokens::refresh_generation
                .nullable()
                .eq(generation)
                .or(generation.is_none().into_sql::<Bool>()),
        )
        .set((
            link_tokens::refresh_generation.eq(link_tokens::refresh_generation + 1),
            link_tokens::refresh_leased_until.eq(lease_until),
        ))
        .returning(link_tokens::link_id)
        .get_results(conn)?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    Ok(linked()
        .filter(links::id.eq_any(&claimed))
        .order(link_tokens::refresh_due_at.asc())
        .load::<LinkRow>(conn)?)
}

/// Gives back the leases of `claimed` links (each at the generation it was claimed at) whose
/// refresh was never sent: a stopping worker's. They are free for any instance at once, and
/// nothing is in doubt. A lease that passed to someone else meanwhile is left alone.
pub fn release(conn: &mut DbConnection, claimed: &[(LinkId, i64)]) -> Result<usize, DbError> {
    Ok(conn.write_transaction(|c| {
        claimed.iter().try_fold(0, |n, (id, generation)| {
            diesel::update(link_tokens::table)
                .filter(link_tokens::link_id.eq(id))
                .filter(link_tokens::refresh_generation.eq(generation))
                .set(link_tokens::refresh_leased_until.eq(None::<NaiveDateTime>))
                .execute(c)
                .map(|one| n + one)
        })
    })?)
}

/// What a refresh found, to write under the lease of `generation`.
pub struct Settlement {
    pub id: LinkId,
    pub generation: i64,
    pub changes: TokenChanges,
}

/// Writes what a refresh found (and ends the lease, if the changes say so), if the link is still
/// active under the lease of its generation. Returns whether it was (`false`: the lease passed to
/// someone else, or the link left `active`). Only the narrow `link_tokens` row is written.
pub fn settle(conn: &mut DbConnection, write: &Settlement) -> Result<bool, DbError> {
    if write.changes.is_empty() {
        return Ok(false);
    }
    let n = diesel::update(link_tokens::table)
        .filter(link_tokens::link_id.eq(&write.id))
        .filter(link_tokens::link_id.eq_any(active_among(std::slice::from_ref(&write.id))))
        .filter(link_tokens::refresh_generation.eq(write.generation))
        .set(&write.changes)
        .execute(conn)?;
    Ok(n == 1)
}

/// What the metrics show of token upkeep.
pub struct TokenHealth {
    /// Links per state and state reason.
    pub by_state: Vec<(String, Option<String>, i64)>,
    /// The earliest access-token expiry among active links: the oldest token still in use.
    pub earliest_expiry: Option<NaiveDateTime>,
    /// Active links flagged `refresh_failing`.
    pub failing: i64,
}

pub fn token_health(conn: &mut DbConnection) -> Result<TokenHealth, DbError> {
    use diesel::dsl::{count_star, min};
    let by_state = links::table
        .group_by((links::state, links::state_reason))
        .select((links::state, links::state_reason, count_star()))
        .load::<(String, Option<String>, i64)>(conn)?;
    let active = links::table
        .inner_join(link_tokens::table)
        .filter(links::state.eq(LinkState::Active.as_str()));
    let earliest_expiry = active
        .select(min(link_tokens::access_expires_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    let failing = active
        .filter(link_tokens::refresh_flagged_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(TokenHealth {
        by_state,
        earliest_expiry,
        failing,
    })
}

/// Test mode's "expire the access token now": the active link's stored access token counts as
/// expired at `now` and its refresh is due, as when its lifetime runs out. Returns false when the
/// link is not active or holds no access token.
pub fn expire_access_token(
    conn: &mut DbConnection,
    id: &LinkId,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let ids = std::slice::from_ref(id);
    let n = diesel::update(link_tokens::table)
        .filter(link_tokens::link_id.eq(id))
        .filter(link_tokens::link_id.eq_any(active_among(ids)))
        .filter(link_tokens::access_token.is_not_null())
        .set((
            link_tokens::access_expires_at.eq(now),
            link_tokens::refresh_due_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
