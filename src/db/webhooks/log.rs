//! The delivery log, resends, and what the metrics read.

use super::events::NewDelivery;
use super::{FAILED, PENDING};
use crate::db::schema::{partner_events, webhook_attempts, webhook_deliveries, webhook_endpoints};
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::dsl::exists;
use diesel::prelude::*;

/// A delivery as the log shows it.
#[derive(Debug, Clone, Queryable)]
pub struct DeliveryRow {
    pub id: i64,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub link_id: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_status: Option<i32>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable)]
pub struct AttemptRow {
    pub delivery_id: i64,
    pub attempted_at: NaiveDateTime,
    pub latency_ms: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub endpoint_id: Option<String>,
    pub event_id: Option<String>,
    pub status: Option<&'static str>,
    /// Only deliveries with an id below this (the page before).
    pub before: Option<i64>,
    pub limit: i64,
}

/// Deliveries, newest first, each with its attempts (oldest first).
pub fn deliveries(
    conn: &mut DbConnection,
    filter: &DeliveryFilter,
) -> Result<Vec<(DeliveryRow, Vec<AttemptRow>)>, DbError> {
    use webhook_deliveries as d;
    let mut query = d::table
        .inner_join(partner_events::table)
        .select((
            d::id,
            d::endpoint_id,
            partner_events::event_id,
            partner_events::event_type,
            d::link_id,
            d::status,
            d::attempts,
            d::next_attempt_at,
            d::last_status,
            d::created_at,
            d::delivered_at,
        ))
        .order(d::id.desc())
        .limit(filter.limit)
        .into_boxed();
    if let Some(endpoint) = &filter.endpoint_id {
        query = query.filter(d::endpoint_id.eq(endpoint.clone()));
    }
    if let Some(event) = &filter.event_id {
        query = query.filter(partner_events::event_id.eq(event.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(d::status.eq(status));
    }
    if let Some(before) = filter.before {
        query = query.filter(d::id.lt(before));
    }
    let rows: Vec<DeliveryRow> = query.load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let attempts: Vec<AttemptRow> = webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(&ids))
        .order(webhook_attempts::id.asc())
        .select((
            webhook_attempts::delivery_id,
            webhook_attempts::attempted_at,
            webhook_attempts::latency_ms,
            webhook_attempts::status_code,
            webhook_attempts::error,
            webhook_attempts::response_excerpt,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mine = attempts
                .iter()
                .filter(|a| a.delivery_id == row.id)
                .cloned()
                .collect();
            (row, mine)
        })
        .collect())
}

/// Which events to send an endpoint again.
#[derive(Debug, Clone)]
pub enum Resend {
    /// One event (delivered, failed or never sent to this endpoint).
    Event(String),
    /// Every failed delivery to the endpoint of an event created at or after this time.
    FailedSince(NaiveDateTime),
}

/// Queues deliveries again, due now with a fresh schedule; an event never sent to the endpoint
/// gets its first delivery. Pending deliveries are left as they are. Returns how many were
/// queued, or `None` when the event does not exist (or has not reached the feed yet).
pub fn resend(
    conn: &mut DbConnection,
    endpoint_id: &str,
    what: &Resend,
    now: NaiveDateTime,
) -> Result<Option<usize>, DbError> {
    use webhook_deliveries as d;
    let again = (
        d::status.eq(PENDING),
        d::attempts.eq(0),
        d::next_attempt_at.eq(now),
        d::leased_until.eq(None::<NaiveDateTime>),
    );
    Ok(conn.write_transaction(|c| match what {
        Resend::Event(event_id) => {
            let found: Option<(i64, Option<i64>, String)> = partner_events::table
                .filter(partner_events::event_id.eq(event_id))
                .select((
                    partner_events::id,
                    partner_events::feed_seq,
                    partner_events::link_id,
                ))
                .first(c)
                .optional()?;
            let Some((id, Some(seq), link_id)) = found else {
                return Ok(None);
            };
            let existing = d::table
                .filter(d::endpoint_id.eq(endpoint_id))
                .filter(d::event_id.eq(id));
            let n = diesel::update(existing.filter(d::status.ne(PENDING)))
                .set(again)
                .execute(c)?;
            let exists: bool = diesel::select(exists(existing)).get_result(c)?;
            if exists {
                return Ok(Some(n));
            }
            diesel::insert_into(d::table)
                .values(NewDelivery::due(endpoint_id, id, seq, &link_id, now))
                .execute(c)?;
            Ok::<_, diesel::result::Error>(Some(1))
        }
        Resend::FailedSince(since) => {
            let events = partner_events::table
                .filter(partner_events::created_at.ge(*since))
                .select(partner_events::id);
            let n = diesel::update(
                d::table
                    .filter(d::endpoint_id.eq(endpoint_id))
                    .filter(d::status.eq(FAILED))
                    .filter(d::event_id.eq_any(events)),
            )
            .set(again)
            .execute(c)?;
            Ok(Some(n))
        }
    })?)
}

/// What the metrics show of webhook delivery.
#[derive(Debug, Clone, Copy, Default)]
pub struct Backlog {
    /// When the oldest event still pending for an enabled endpoint was created.
    pub oldest_pending: Option<NaiveDateTime>,
    pub disabled_endpoints: i64,
}

pub fn backlog(conn: &mut DbConnection) -> Result<Backlog, DbError> {
    use webhook_deliveries as d;
    let oldest_pending: Option<NaiveDateTime> = d::table
        .inner_join(webhook_endpoints::table)
        .filter(d::status.eq(PENDING))
        .filter(webhook_endpoints::enabled.eq(true))
        .select(diesel::dsl::min(d::created_at))
        .first(conn)?;
    let disabled_endpoints = webhook_endpoints::table
        .filter(webhook_endpoints::enabled.eq(false))
        .count()
        .get_result(conn)?;
    Ok(Backlog {
        oldest_pending,
        disabled_endpoints,
    })
}
