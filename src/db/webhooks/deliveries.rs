//! Deliveries: leased for an attempt in per-link order, and what an attempt leads to.

use super::endpoints::EndpointRow;
use super::events::{EVENT_COLUMNS, EventRow};
use super::{DELIVERED, FAILED, PENDING};
use crate::db::schema::{
    customers, links, partner_events, webhook_attempts, webhook_deliveries, webhook_endpoints,
};
use crate::db::{DbConnection, DbError, insert_rows};
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
    /// The span that published the event, continued by the delivery's.
    pub traceparent: Option<String>,
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
    let rows: Vec<(i64, EventRow, EndpointRow, Option<String>)> = d::table
        .inner_join(partner_events::table.inner_join(links::table.inner_join(customers::table)))
        .inner_join(webhook_endpoints::table)
        .filter(d::id.eq_any(&leased_ids))
        .order(d::event_seq.asc())
        .select((
            d::id,
            EVENT_COLUMNS,
            webhook_endpoints::all_columns,
            partner_events::traceparent,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(delivery_id, event, endpoint, traceparent)| Claimed {
            delivery_id,
            attempts: leased
                .iter()
                .find(|(id, _)| *id == delivery_id)
                .map_or(1, |(_, a)| *a),
            event,
            endpoint,
            traceparent,
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

impl Next {
    /// `delivered`, `retry` or `failed`: the outcome label of metrics and spans.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::RetryAt(_) => "retry",
            Self::GiveUp => "failed",
        }
    }
}

/// An attempt and what follows from it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub claimed: Claimed,
    pub attempt: Attempt,
    pub next: Next,
}

/// Records the outcomes of several attempts in one transaction: their log rows, the deliveries'
/// new status, and the endpoints' failing streaks (started by a failure, ended by a delivery).
/// Deliveries are recorded together, one `UPDATE` per status code, with `now` as their
/// `delivered_at`; failures one by one. An endpoint failing since `disable_after` before a failed
/// attempt is disabled; returns the ids of the endpoints this disabled.
pub fn record(
    conn: &mut DbConnection,
    outcomes: &[Outcome],
    now: NaiveDateTime,
    disable_after: chrono::Duration,
) -> Result<Vec<String>, DbError> {
    use webhook_deliveries as d;
    use webhook_endpoints as e;
    Ok(conn.write_transaction(|c| {
        insert_attempts(c, outcomes)?;
        let delivered: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.next == Next::Delivered)
            .collect();
        let mut codes: Vec<Option<i32>> = delivered.iter().map(|o| o.attempt.status_code).collect();
        codes.sort_unstable();
        codes.dedup();
        for code in codes {
            let ids: Vec<i64> = delivered
                .iter()
                .filter(|o| o.attempt.status_code == code)
                .map(|o| o.claimed.delivery_id)
                .collect();
            diesel::update(d::table.filter(d::id.eq_any(&ids)))
                .set((
                    d::leased_until.eq(None::<NaiveDateTime>),
                    d::last_status.eq(code),
                    d::last_error.eq(None::<String>),
                    d::status.eq(DELIVERED),
                    d::delivered_at.eq(now),
                ))
                .execute(c)?;
        }
        // The endpoint row is written only when a failing streak ends, not on every delivery:
        // it would be one hot row for all of them.
        let recovered: Vec<&str> = delivered
            .iter()
            .filter(|o| o.claimed.endpoint.failing_since.is_some())
            .map(|o| o.claimed.endpoint.id.as_str())
            .collect();
        if !recovered.is_empty() {
            diesel::update(e::table.filter(e::id.eq_any(&recovered)))
                .set(e::failing_since.eq(None::<NaiveDateTime>))
                .execute(c)?;
        }
        let mut disabled = Vec::new();
        for o in outcomes.iter().filter(|o| o.next != Next::Delivered) {
            let delivery = d::table.find(o.claimed.delivery_id);
            let outcome = (
                d::leased_until.eq(None::<NaiveDateTime>),
                d::last_status.eq(o.attempt.status_code),
                d::last_error.eq(&o.attempt.error),
            );
            match o.next {
                Next::RetryAt(at) => diesel::update(delivery)
                    .set((outcome, d::next_attempt_at.eq(at)))
                    .execute(c)?,
                _ => diesel::update(delivery)
                    .set((outcome, d::status.eq(FAILED)))
                    .execute(c)?,
            };
            let endpoint = e::table.find(&o.claimed.endpoint.id);
            diesel::update(endpoint.filter(e::failing_since.is_null()))
                .set(e::failing_since.eq(o.attempt.at))
                .execute(c)?;
            let now_disabled = diesel::update(
                endpoint
                    .filter(e::enabled.eq(true))
                    .filter(e::failing_since.lt(o.attempt.at - disable_after)),
            )
            .set((
                e::enabled.eq(false),
                e::disabled_reason.eq("failing"),
                e::updated_at.eq(o.attempt.at),
            ))
            .execute(c)?;
            if now_disabled == 1 {
                disabled.push(o.claimed.endpoint.id.clone());
            }
        }
        Ok::<_, diesel::result::Error>(disabled)
    })?)
}

/// The attempts' log rows, in one statement where the database allows.
fn insert_attempts(c: &mut DbConnection, outcomes: &[Outcome]) -> QueryResult<usize> {
    use webhook_attempts as a;
    let rows: Vec<_> = outcomes
        .iter()
        .map(|o| {
            (
                a::delivery_id.eq(o.claimed.delivery_id),
                a::attempted_at.eq(o.attempt.at),
                a::latency_ms.eq(o.attempt.latency_ms),
                a::status_code.eq(o.attempt.status_code),
                a::error.eq(&o.attempt.error),
                a::response_excerpt.eq(&o.attempt.response_excerpt),
            )
        })
        .collect();
    insert_rows!(c, a::table, rows)
}
