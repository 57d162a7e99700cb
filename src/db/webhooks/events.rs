//! Events: written with the link change that causes them, given their feed position and fanned
//! out to the subscribed endpoints by [`dispatch`], read back as the feed.

use super::PENDING;
use super::endpoints::EndpointRow;
use crate::db::schema::{customers, links, partner_events, webhook_deliveries, webhook_endpoints};
use crate::db::{DbConnection, DbError, insert_rows};
use crate::domain::LinkId;
use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::prelude::*;

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
    /// The span that published it ([`crate::telemetry::current_traceparent`]).
    pub traceparent: Option<String>,
}

/// The columns of [`NewPartnerEvent`], in its field order, for hand-built statements.
pub const NEW_PARTNER_EVENT_COLUMNS: [&str; 7] = {
    use diesel::Column;
    [
        partner_events::event_id::NAME,
        partner_events::event_type::NAME,
        partner_events::link_id::NAME,
        partner_events::state::NAME,
        partner_events::reason::NAME,
        partner_events::created_at::NAME,
        partner_events::traceparent::NAME,
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

pub(super) type EventColumns = (
    partner_events::event_id,
    partner_events::event_type,
    partner_events::created_at,
    partner_events::link_id,
    customers::customer_ref,
    partner_events::state,
    partner_events::reason,
    partner_events::feed_seq,
);

pub(super) const EVENT_COLUMNS: EventColumns = (
    partner_events::event_id,
    partner_events::event_type,
    partner_events::created_at,
    partner_events::link_id,
    customers::customer_ref,
    partner_events::state,
    partner_events::reason,
    partner_events::feed_seq,
);

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

/// A new delivery of an event to an endpoint, due at once.
#[derive(Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub(super) struct NewDelivery<'a> {
    endpoint_id: &'a str,
    event_id: i64,
    /// The event's feed position.
    event_seq: i64,
    link_id: &'a str,
    status: &'static str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

impl<'a> NewDelivery<'a> {
    pub(super) fn due(
        endpoint_id: &'a str,
        event_id: i64,
        event_seq: i64,
        link_id: &'a str,
        now: NaiveDateTime,
    ) -> Self {
        Self {
            endpoint_id,
            event_id,
            event_seq,
            link_id,
            status: PENDING,
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        }
    }
}

/// Gives up to `limit` new events their feed positions, in the order they were written, and
/// queues a delivery for every enabled endpoint subscribed to each. Returns how many events it
/// dispatched.
pub fn dispatch(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> Result<usize, DbError> {
    Ok(conn.write_transaction(|c| {
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
        let deliveries: Vec<NewDelivery> = placed
            .iter()
            .flat_map(|(id, link_id, event_type)| {
                subscribed
                    .iter()
                    .filter(|e| e.subscribes_to(event_type))
                    .map(move |e| NewDelivery::due(&e.id, *id, id + offset, link_id, now))
            })
            .collect();
        if !deliveries.is_empty() {
            insert_rows!(c, webhook_deliveries::table, deliveries)?;
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

/// Deletes the events created before `before` that the feed already holds, with their
/// deliveries and attempts (delivered or not): the feed's retention. The newest placed event is
/// always kept: the next positions count on from it, so a reader's cursor stays valid. Returns
/// how many events it deleted.
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> Result<usize, DbError> {
    use crate::db::schema::webhook_attempts;
    conn.write_transaction(|c| {
        let head: Option<i64> = partner_events::table
            .select(max(partner_events::feed_seq))
            .first(c)?;
        let Some(head) = head else { return Ok(0) };
        let old = partner_events::table
            .filter(partner_events::created_at.lt(before))
            .filter(partner_events::feed_seq.lt(head))
            .select(partner_events::id);
        let deliveries = webhook_deliveries::table
            .filter(webhook_deliveries::event_id.eq_any(old))
            .select(webhook_deliveries::id);
        diesel::delete(
            webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(deliveries)),
        )
        .execute(c)?;
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::event_id.eq_any(old)))
            .execute(c)?;
        diesel::delete(
            partner_events::table
                .filter(partner_events::created_at.lt(before))
                .filter(partner_events::feed_seq.lt(head)),
        )
        .execute(c)
    })
    .map_err(DbError::from)
}
