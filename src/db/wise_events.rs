//! What Wise told wiselink over its webhooks: each verified delivery kept once by its
//! `X-Delivery-Id` until it is applied, and the newest state seen per Wise user and profile, so an
//! event older than one already applied changes nothing.

use crate::db::links::{LinkRow, linked};
use crate::db::schema::{links, wise_deliveries, wise_resource_states};
use crate::db::{DbConnection, DbError, is_unique_violation};
use crate::domain::LinkState;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A verified delivery, as stored.
#[derive(Insertable)]
#[diesel(table_name = wise_deliveries)]
pub struct NewWiseDelivery<'a> {
    pub delivery_id: &'a str,
    pub event_type: &'a str,
    pub resource_type: &'a str,
    pub resource_id: i64,
    pub current_state: &'a str,
    pub occurred_at: NaiveDateTime,
    pub received_at: NaiveDateTime,
}

/// A stored delivery waiting to be applied.
#[derive(Debug, Clone, Queryable)]
pub struct WiseDeliveryRow {
    pub delivery_id: String,
    pub event_type: String,
    pub resource_type: String,
    pub resource_id: i64,
    pub current_state: String,
    pub occurred_at: NaiveDateTime,
}

/// Stores a delivery; `false` when its id was stored before (Wise sent it again).
pub fn insert(conn: &mut DbConnection, delivery: &NewWiseDelivery<'_>) -> Result<bool, DbError> {
    match diesel::insert_into(wise_deliveries::table)
        .values(delivery)
        .execute(conn)
    {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Deliveries not applied yet, oldest event first.
pub fn pending(conn: &mut DbConnection, limit: i64) -> Result<Vec<WiseDeliveryRow>, DbError> {
    Ok(wise_deliveries::table
        .filter(wise_deliveries::processed_at.is_null())
        .order((
            wise_deliveries::occurred_at.asc(),
            wise_deliveries::delivery_id.asc(),
        ))
        .select((
            wise_deliveries::delivery_id,
            wise_deliveries::event_type,
            wise_deliveries::resource_type,
            wise_deliveries::resource_id,
            wise_deliveries::current_state,
            wise_deliveries::occurred_at,
        ))
        .limit(limit)
        .load(conn)?)
}

/// Records `state` as the resource's newest unless a later event was recorded already. `true`
/// when this event is the newest (or the same one again, after a crash mid-way).
pub fn record_state(conn: &mut DbConnection, delivery: &WiseDeliveryRow) -> Result<bool, DbError> {
    use wise_resource_states as s;
    let inserted = diesel::insert_into(s::table)
        .values((
            s::resource_type.eq(&delivery.resource_type),
            s::resource_id.eq(delivery.resource_id),
            s::state.eq(&delivery.current_state),
            s::occurred_at.eq(delivery.occurred_at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => return Ok(true),
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let updated = diesel::update(s::table)
        .filter(s::resource_type.eq(&delivery.resource_type))
        .filter(s::resource_id.eq(delivery.resource_id))
        .filter(s::occurred_at.le(delivery.occurred_at))
        .set((
            s::state.eq(&delivery.current_state),
            s::occurred_at.eq(delivery.occurred_at),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Marks a delivery applied (`applied`) or passed over as older than what was applied (`stale`).
pub fn finish(
    conn: &mut DbConnection,
    delivery_id: &str,
    outcome: &str,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(wise_deliveries::table.find(delivery_id))
        .set((
            wise_deliveries::processed_at.eq(now),
            wise_deliveries::outcome.eq(outcome),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets applied deliveries received before `before` (their ids no longer need recognising).
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> Result<usize, DbError> {
    Ok(diesel::delete(
        wise_deliveries::table
            .filter(wise_deliveries::processed_at.is_not_null())
            .filter(wise_deliveries::received_at.lt(before)),
    )
    .execute(conn)?)
}

/// The links that hold (or held, until Wise revoked them) tokens of this Wise user or profile:
/// the links what Wise says about it reaches.
pub fn links_of(
    conn: &mut DbConnection,
    resource_type: &str,
    id: i64,
) -> Result<Vec<LinkRow>, DbError> {
    let states = [
        LinkState::Active,
        LinkState::NeedsReview,
        LinkState::RelinkRequired,
    ]
    .map(LinkState::as_str);
    let query = linked().filter(links::state.eq_any(states));
    Ok(match resource_type {
        "user" => query.filter(links::wise_user_id.eq(id)).load(conn)?,
        _ => query.filter(links::wise_profile_id.eq(id)).load(conn)?,
    })
}
