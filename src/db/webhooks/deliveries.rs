//! Deliveries: leased for an attempt in per-link order, and what an attempt leads to.

use super::endpoints::EndpointRow;
use super::events::{EVENT_COLUMNS, EventRow};
use super::{DELIVERED, FAILED, PENDING};
use crate::db::schema::{
    customers, links, partner_events, webhook_attempts, webhook_deliveries, webhook_endpoints,
};
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;

/// A delivery leased for an attempt, with what the attempt sends.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_id: i64,
    /// Attempts so far, this one included.
    pub attempts: i32,
    pub event: EventRow,
    pub endpoint: EndpointRow,
}

/// Leases up to `limit` due deliveries until `until`, counting an attempt for each: pending, due,
/// not leased by anyone, to an enabled endpoint, and the earliest pending one of its link for its
/// endpoint. The lease is taken by an `UPDATE` that re-checks those conditions row by row, so of
/// several workers racing for a delivery exactly one gets it.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Claimed>, DbError> {
    use webhook_deliveries as d;
    let earlier = diesel::alias!(webhook_deliveries as earlier);
    let free = || {
        d::status
            .eq(PENDING)
            .and(d::next_attempt_at.le(now))
            .and(d::leased_until.is_null().or(d::leased_until.lt(now)))
    };
    let ids: Vec<i64> = d::table
        .inner_join(webhook_endpoints::table)
        .filter(free())
        .filter(webhook_endpoints::enabled.eq(true))
        .filter(not(exists(
            earlier
                .filter(earlier.field(d::endpoint_id).eq(d::endpoint_id))
                .filter(earlier.field(d::link_id).eq(d::link_id))
                .filter(earlier.field(d::status).eq(PENDING))
                .filter(earlier.field(d::event_seq).lt(d::event_seq)),
        )))
        .order(d::next_attempt_at.asc())
        .limit(limit)
        .select(d::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let leased: Vec<(i64, i32)> = diesel::update(d::table)
        .filter(d::id.eq_any(&ids))
        .filter(free())
        .set((d::leased_until.eq(until), d::attempts.eq(d::attempts + 1)))
        .returning((d::id, d::attempts))
        .get_results(conn)?;
    let leased_ids: Vec<i64> = leased.iter().map(|(id, _)| *id).collect();
    let rows: Vec<(i64, EventRow, EndpointRow)> = d::table
        .inner_join(partner_events::table.inner_join(links::table.inner_join(customers::table)))
        .inner_join(webhook_endpoints::table)
        .filter(d::id.eq_any(&leased_ids))
        .order(d::event_seq.asc())
        .select((d::id, EVENT_COLUMNS, webhook_endpoints::all_columns))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(delivery_id, event, endpoint)| Claimed {
            delivery_id,
            attempts: leased
                .iter()
                .find(|(id, _)| *id == delivery_id)
                .map_or(1, |(_, a)| *a),
            event,
            endpoint,
        })
        .collect())
}

/// What one attempt found.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: NaiveDateTime,
    pub latency_ms: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

/// What becomes of the delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryAt(NaiveDateTime),
    GiveUp,
}

/// Records an attempt and what follows from it, in one transaction: the log row, the delivery's
/// new status, and the endpoint's failing streak (started by the first failure, ended by a
/// delivery). An endpoint failing since before `disable_before` is disabled; returns whether
/// this attempt disabled it.
pub fn record(
    conn: &mut DbConnection,
    claimed: &Claimed,
    attempt: &Attempt,
    next: Next,
    disable_before: NaiveDateTime,
) -> Result<bool, DbError> {
    use webhook_deliveries as d;
    use webhook_endpoints as e;
    Ok(conn.transaction(|c| {
        diesel::insert_into(webhook_attempts::table)
            .values((
                webhook_attempts::delivery_id.eq(claimed.delivery_id),
                webhook_attempts::attempted_at.eq(attempt.at),
                webhook_attempts::latency_ms.eq(attempt.latency_ms),
                webhook_attempts::status_code.eq(attempt.status_code),
                webhook_attempts::error.eq(&attempt.error),
                webhook_attempts::response_excerpt.eq(&attempt.response_excerpt),
            ))
            .execute(c)?;
        let delivery = d::table.find(claimed.delivery_id);
        let endpoint = e::table.find(&claimed.endpoint.id);
        let outcome = (
            d::leased_until.eq(None::<NaiveDateTime>),
            d::last_status.eq(attempt.status_code),
            d::last_error.eq(&attempt.error),
        );
        match next {
            Next::Delivered => {
                diesel::update(delivery)
                    .set((
                        outcome,
                        d::status.eq(DELIVERED),
                        d::delivered_at.eq(attempt.at),
                    ))
                    .execute(c)?;
                // The endpoint row is written only when a failing streak ends, not on every
                // delivery: it would be one hot row for all of them.
                if claimed.endpoint.failing_since.is_some() {
                    diesel::update(endpoint)
                        .set(e::failing_since.eq(None::<NaiveDateTime>))
                        .execute(c)?;
                }
                return Ok(false);
            }
            Next::RetryAt(at) => {
                diesel::update(delivery)
                    .set((outcome, d::next_attempt_at.eq(at)))
                    .execute(c)?;
            }
            Next::GiveUp => {
                diesel::update(delivery)
                    .set((outcome, d::status.eq(FAILED)))
                    .execute(c)?;
            }
        }
        diesel::update(endpoint.filter(e::failing_since.is_null()))
            .set(e::failing_since.eq(attempt.at))
            .execute(c)?;
        let disabled = diesel::update(
            endpoint
                .filter(e::enabled.eq(true))
                .filter(e::failing_since.lt(disable_before)),
        )
        .set((
            e::enabled.eq(false),
            e::disabled_reason.eq("failing"),
            e::updated_at.eq(attempt.at),
        ))
        .execute(c)?;
        Ok::<_, diesel::result::Error>(disabled == 1)
    })?)
}
