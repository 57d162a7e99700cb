//! An endpoint's signing secrets as they are sealed at rest and opened to sign, and the body every
//! delivery and the feed carry.

use crate::crypto::{Aad, KeyRing, WebhookSecret};
use crate::db::webhooks::{EndpointRow, EventRow};
use chrono::NaiveDateTime;

/// The AAD of an endpoint's secrets: the current and the previous one alike, so a rotation moves
/// the sealed value without opening it.
pub(super) fn aad(endpoint_id: &str) -> Aad<'_> {
    Aad {
        table: "webhook_endpoints",
        column: "secret",
        row: endpoint_id,
    }
}

/// The secrets that sign a delivery to `endpoint` at `now`, newest first.
pub fn secrets(
    keys: &KeyRing,
    endpoint: &EndpointRow,
    now: NaiveDateTime,
) -> anyhow::Result<Vec<WebhookSecret>> {
    let open = |sealed: &[u8]| -> anyhow::Result<WebhookSecret> {
        let text = keys
            .open(sealed, aad(&endpoint.id))
            .map_err(|e| anyhow::anyhow!("endpoint {} secret does not open: {e}", endpoint.id))?;
        let text = String::from_utf8(text)
            .map_err(|_| anyhow::anyhow!("endpoint {} secret is not text", endpoint.id))?;
        WebhookSecret::parse(&text)
            .map_err(|e| anyhow::anyhow!("endpoint {} secret: {e}", endpoint.id))
    };
    let mut out = vec![open(&endpoint.secret)?];
    if let (Some(previous), Some(until)) =
        (&endpoint.previous_secret, endpoint.previous_secret_until)
        && until > now
    {
        out.push(open(previous)?);
    }
    Ok(out)
}

/// Re-seals an endpoint's secret under the newest key (key rotation).
pub fn reseal(
    keys: &KeyRing,
    endpoint_id: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, crate::crypto::CryptoError> {
    keys.reseal(sealed, aad(endpoint_id))
}

/// The JSON every delivery and the feed carry for an event: `{id, type, created_at, data}` with
/// a thin `data` (no token, code, date of birth or email, ever).
pub fn event_json(event: &EventRow) -> serde_json::Value {
    serde_json::json!({
        "id": event.event_id,
        "type": event.event_type,
        "created_at": event
            .created_at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": {
            "link_id": event.link_id,
            "customer_ref": event.customer_ref,
            "state": event.state,
            "reason": event.reason,
        },
    })
}
