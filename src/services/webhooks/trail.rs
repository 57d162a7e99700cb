//! Endpoint changes in the staff audit.

use crate::audit::SigningKeys;
use crate::db::DbError;
use chrono::NaiveDateTime;

/// Records who changed an endpoint, in the staff audit (`webhook:<id>`, the event, the actor: a
/// staff member or an API key).
pub(super) fn audit(
    c: &mut crate::db::DbConnection,
    seals: &SigningKeys,
    endpoint_id: &str,
    event: &str,
    actor: &str,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    crate::db::staff::audit(
        c,
        seals,
        &format!("webhook:{endpoint_id}"),
        event,
        Some(actor),
        None,
        now,
    )
}
