//! Webhook endpoints and their sealed signing secrets.

use crate::db::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints};
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

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
    let n = conn.write_transaction(|c| {
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
