//! What the partner hears: the events links publish, the webhook endpoints that receive them, one
//! delivery per endpoint and event, and the log of every attempt.
//!
//! An event row is written with the link change that causes it ([`super::links::apply`]).
//! [`dispatch`] then gives new events their place in the feed under one lock, so the feed's order
//! is the order in which events became visible (a cursor never skips an event committed late),
//! and fans each out to the endpoints subscribed to its type. [`claim_due`] leases deliveries the
//! way the outbox does, and never a link's later delivery to an endpoint while an earlier one is
//! still pending: a link's events arrive in order.

use super::schema::{
    customers, links, partner_events, webhook_attempts, webhook_deliveries, webhook_endpoints,
};
use super::{DbConnection, DbError};
use crate::domain::LinkId;
use chrono::NaiveDateTime;
use diesel::dsl::{exists, max, not};
use diesel::prelude::*;

/// A delivery still to be made (or being retried).
pub const PENDING: &str = "pending";
/// The receiver answered 2xx.
pub const DELIVERED: &str = "delivered";
/// Every attempt of the schedule failed.
pub const FAILED: &str = "failed";

/// An event to publish, written with the link change that causes it.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = partner_events)]
pub struct NewPartnerEvent<'a> {
    pub event_id: String,
    pub event_type: &'static str,
    pub link_id: &'a LinkId,
    pub state: &'static str,
    pub reason: &'static str,
    pub created_at: NaiveDateTime,
}

/// The columns of [`NewPartnerEvent`], in its field order, for hand-built statements.
pub const NEW_PARTNER_EVENT_COLUMNS: [&str; 6] = {
    use diesel::Column;
    [
        partner_events::event_id::NAME,
        partner_events::event_type::NAME,
        partner_events::link_id::NAME,
        partner_events::state::NAME,
        partner_events::reason::NAME,
        partner_events::created_at::NAME,
    ]
};

/// An event as the feed and every delivery show it.
#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub event_id: String,
    pub event_type: String,
    pub created_at: NaiveDateTime,
    pub link_id: String,
    pub customer_ref: String,
    pub state: String,
    pub reason: String,
    pub feed_seq: Option<i64>,
}

type EventColumns = (
    partner_events::event_id,
    partner_events::event_type,
    partner_events::created_at,
    partner_events::link_id,
    customers::customer_ref,
    partner_events::state,
    partner_events::reason,
    partner_events::feed_seq,
);

const EVENT_COLUMNS: EventColumns = (
    partner_events::event_id,
    partner_events::event_type,
    partner_events::created_at,
    partner_events::link_id,
    customers::customer_ref,
    partner_events::state,
    partner_events::reason,
    partner_events::feed_seq,
);

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = webhook_endpoints, treat_none_as_default_value = false)]
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    /// Space-separated event types, or `*`.
    pub event_types: String,
    /// Sealed (AAD: webhook_endpoints, secret, id).
    pub secret: Vec<u8>,
    pub previous_secret: Option<Vec<u8>>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl EndpointRow {
    /// Whether the endpoint receives events of type `event_type`.
    pub fn subscribes_to(&self, event_type: &str) -> bool {
        self.event_types == "*" || self.event_types.split(' ').any(|t| t == event_type)
    }
}

/// What a partner may change on an endpoint; `None` leaves a column as it is.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub event_types: Option<String>,
    pub secret: Option<Vec<u8>>,
    pub previous_secret: Option<Option<Vec<u8>>>,
    pub previous_secret_until: Option<Option<NaiveDateTime>>,
    pub enabled: Option<bool>,
    pub disabled_reason: Option<Option<String>>,
    pub failing_since: Option<Option<NaiveDateTime>>,
}

pub fn insert_endpoint(conn: &mut DbConnection, row: &EndpointRow) -> Result<(), DbError> {
    diesel::insert_into(webhook_endpoints::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Every endpoint, oldest first.
pub fn endpoints(conn: &mut DbConnection) -> Result<Vec<EndpointRow>, DbError> {
    Ok(webhook_endpoints::table
        .order((
            webhook_endpoints::created_at.asc(),
            webhook_endpoints::id.asc(),
        ))
        .load(conn)?)
}

pub fn endpoint(conn: &mut DbConnection, id: &str) -> Result<Option<EndpointRow>, DbError> {
    Ok(webhook_endpoints::table.find(id).first(conn).optional()?)
}

/// Applies `changes` (with `updated_at`) and returns the endpoint as it is now.
pub fn update_endpoint(
    conn: &mut DbConnection,
    id: &str,
    changes: &EndpointChanges,
    now: NaiveDateTime,
) -> Result<Option<EndpointRow>, DbError> {
    let n = diesel::update(webhook_endpoints::table.find(id))
        .set((changes, webhook_endpoints::updated_at.eq(now)))
        .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    endpoint(conn, id)
}

/// Deletes an endpoint with its deliveries and their log. Returns whether it existed.
pub fn delete_endpoint(conn: &mut DbConnection, id: &str) -> Result<bool, DbError> {
    let n = conn.transaction(|c| {
        let deliveries = webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq(id))
            .select(webhook_deliveries::id);
        diesel::delete(
            webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(deliveries)),
        )
        .execute(c)?;
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::endpoint_id.eq(id)))
            .execute(c)?;
        diesel::delete(webhook_endpoints::table.find(id)).execute(c)
    })?;
    Ok(n == 1)
}

/// Takes the lock under which feed positions are assigned, for the rest of the transaction.
fn lock_feed(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Postgresql(pg) => {
            // Any constant unique to this use: "wlfeed" in ASCII.
            diesel::sql_query("SELECT pg_advisory_xact_lock(130201620965732)").execute(pg)?;
        }
        DbConnection::Sqlite(_) => {
            // A write first, so the transaction holds SQLite's write lock from its start and the
            // reads below cannot go stale before the writes.
            diesel::update(partner_events::table.filter(partner_events::id.eq(-1)))
                .set(partner_events::feed_seq.eq(None::<i64>))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// A new delivery of event `event_id` (feed position `seq`, of `link_id`) to an endpoint, due now.
fn queue_delivery(
    c: &mut DbConnection,
    endpoint_id: &str,
    event_id: i64,
    seq: i64,
    link_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use webhook_deliveries as d;
    diesel::insert_into(d::table)
        .values((
            d::endpoint_id.eq(endpoint_id),
            d::event_id.eq(event_id),
            d::event_seq.eq(seq),
            d::link_id.eq(link_id),
            d::status.eq(PENDING),
            d::attempts.eq(0),
            d::next_attempt_at.eq(now),
            d::created_at.eq(now),
        ))
        .execute(c)
}

/// Gives up to `limit` new events their feed positions, in the order they were written, and
/// queues a delivery for every enabled endpoint subscribed to each. Returns how many events it
/// dispatched.
pub fn dispatch(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> Result<usize, DbError> {
    Ok(conn.transaction(|c| {
        lock_feed(c)?;
        let fresh: Vec<i64> = partner_events::table
            .filter(partner_events::feed_seq.is_null())
            .order(partner_events::id.asc())
            .limit(limit)
            .select(partner_events::id)
            .load(c)?;
        if fresh.is_empty() {
            return Ok(0);
        }
        let head: Option<i64> = partner_events::table
            .select(max(partner_events::feed_seq))
            .first(c)?;
        let head = head.unwrap_or(0);
        let subscribed: Vec<EndpointRow> = webhook_endpoints::table
            .filter(webhook_endpoints::enabled.eq(true))
            .load(c)?;
        // Positions after the head, in id order, in one statement: an event's position is the
        // head plus its distance from the batch's first id (gaps are fine; order and uniqueness
        // are what the feed needs). The rows the statement placed are the batch: on PostgreSQL
        // an event committed since the read above, with an id in the range, is placed (and
        // delivered) with it.
        let (first, last) = (fresh[0], fresh[fresh.len() - 1]);
        let offset = head + 1 - first;
        let placed: Vec<(i64, String, String)> = diesel::update(
            partner_events::table
                .filter(partner_events::id.between(first, last))
                .filter(partner_events::feed_seq.is_null()),
        )
        .set(partner_events::feed_seq.eq((partner_events::id + offset).nullable()))
        .returning((
            partner_events::id,
            partner_events::link_id,
            partner_events::event_type,
        ))
        .get_results(c)?;
        for (id, link_id, event_type) in &placed {
            let seq = id + offset;
            for endpoint in subscribed.iter().filter(|e| e.subscribes_to(event_type)) {
                queue_delivery(c, &endpoint.id, *id, seq, link_id, now)?;
            }
        }
        Ok::<_, diesel::result::Error>(placed.len())
    })?)
}

/// The feed: up to `limit` dispatched events after feed position `after`, in feed order.
pub fn feed(conn: &mut DbConnection, after: i64, limit: i64) -> Result<Vec<EventRow>, DbError> {
    Ok(partner_events::table
        .inner_join(links::table.inner_join(customers::table))
        .filter(partner_events::feed_seq.gt(after))
        .order(partner_events::feed_seq.asc())
        .limit(limit)
        .select(EVENT_COLUMNS)
        .load(conn)?)
}

/// One event by its public id.
pub fn event(conn: &mut DbConnection, event_id: &str) -> Result<Option<EventRow>, DbError> {
    Ok(partner_events::table
        .inner_join(links::table.inner_join(customers::table))
        .filter(partner_events::event_id.eq(event_id))
        .select(EVENT_COLUMNS)
        .first(conn)
        .optional()?)
}

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
    Ok(conn.transaction(|c| match what {
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
            queue_delivery(c, endpoint_id, id, seq, &link_id, now)?;
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

/// An endpoint's sealed secrets: `(id, secret, previous secret)`.
pub type SealedSecrets = (String, Vec<u8>, Option<Vec<u8>>);

/// Endpoints' sealed secrets in id order after `after`: the walk key rotation takes.
pub fn sealed_after(
    conn: &mut DbConnection,
    after: &str,
    limit: i64,
) -> Result<Vec<SealedSecrets>, DbError> {
    Ok(webhook_endpoints::table
        .filter(webhook_endpoints::id.gt(after))
        .order(webhook_endpoints::id.asc())
        .limit(limit)
        .select((
            webhook_endpoints::id,
            webhook_endpoints::secret,
            webhook_endpoints::previous_secret,
        ))
        .load(conn)?)
}

/// Replaces an endpoint's sealed secret (`previous: false`) or previous secret only if it still
/// holds exactly `old`.
pub fn replace_secret(
    conn: &mut DbConnection,
    id: &str,
    previous: bool,
    old: &[u8],
    new: &[u8],
) -> Result<bool, DbError> {
    use webhook_endpoints as e;
    let n = if previous {
        diesel::update(e::table.find(id).filter(e::previous_secret.eq(old)))
            .set(e::previous_secret.eq(new))
            .execute(conn)?
    } else {
        diesel::update(e::table.find(id).filter(e::secret.eq(old)))
            .set(e::secret.eq(new))
            .execute(conn)?
    };
    Ok(n == 1)
}
