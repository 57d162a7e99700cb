//! Receiving Wise's application webhooks: verify `X-Signature-SHA256` (RSA-SHA256 over the raw
//! body) against the configured public keys, keep each delivery once by its `X-Delivery-Id`, and
//! leave applying it to the worker ([`crate::workers::wise_events`]), so Wise has its answer well
//! within its 5 s.

mod simulator_key;

pub use simulator_key::SimulatorKey;

use crate::clock::SharedClock;
use crate::db::wise_events::{self as store, NewWiseDelivery};
use crate::db::{Db, DbError};
use aws_lc_rs::signature::ParsedPublicKey;
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::Notify;

pub const USER_STATE_CHANGE: &str = "users#state-change";
pub const PROFILE_VERIFICATION_CHANGE: &str = "profiles#verification-state-change";

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Stored; the worker applies it.
    Accepted,
    /// Its `X-Delivery-Id` was stored before: nothing changes.
    Duplicate,
    /// An event type wiselink does not act on.
    Ignored,
    /// `X-Test-Notification: true`: acknowledged and logged only.
    Test,
}

impl Received {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Duplicate => "duplicate",
            Self::Ignored => "ignored",
            Self::Test => "test",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WiseEventError {
    /// Missing, malformed, or made by none of the configured keys.
    #[error("the delivery's signature does not verify")]
    BadSignature,
    /// Signed, but not the envelope Wise documents.
    #[error("{0}")]
    Malformed(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// One delivery's headers.
pub struct Delivery<'a> {
    pub signature: Option<&'a str>,
    pub delivery_id: Option<&'a str>,
    pub test: bool,
    pub body: &'a [u8],
}

pub struct WiseEventService {
    db: Db,
    clock: SharedClock,
    keys: Vec<ParsedPublicKey>,
    /// The simulator's key, when the configuration trusts it.
    simulator: Option<SimulatorKey>,
    /// Wakes the worker that applies deliveries.
    wake: Arc<Notify>,
}

#[derive(Deserialize)]
struct Envelope {
    event_type: String,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    resource: Resource,
    current_state: String,
    occurred_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize)]
struct Resource {
    id: i64,
}

impl WiseEventService {
    pub fn new(
        db: Db,
        clock: SharedClock,
        keys: Vec<ParsedPublicKey>,
        simulator: Option<SimulatorKey>,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            db,
            clock,
            keys,
            simulator,
            wake,
        }
    }

    /// Whether one of the configured keys made `signature` (base64) over `body`.
    async fn verified(&self, signature: Option<&str>, body: &[u8]) -> bool {
        let Some(raw) = signature.and_then(|s| STANDARD.decode(s.trim()).ok()) else {
            return false;
        };
        if self
            .keys
            .iter()
            .any(|key| key.verify_sig(body, &raw).is_ok())
        {
            return true;
        }
        match &self.simulator {
            Some(simulator) => simulator.verifies(body, &raw).await,
            None => false,
        }
    }

    pub async fn receive(&self, delivery: Delivery<'_>) -> Result<Received, WiseEventError> {
        if !self.verified(delivery.signature, delivery.body).await {
            return Err(WiseEventError::BadSignature);
        }
        if delivery.test {
            tracing::info!(
                wise.delivery_id = delivery.delivery_id,
                "Wise test notification received"
            );
            return Ok(Received::Test);
        }
        let delivery_id = delivery
            .delivery_id
            .map(str::trim)
            .filter(|id| (1..=100).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| WiseEventError::Malformed("X-Delivery-Id is missing".to_owned()))?;
        let event_type = serde_json::from_slice::<serde_json::Value>(delivery.body)
            .ok()
            .and_then(|v| v.get("event_type")?.as_str().map(str::to_owned))
            .ok_or_else(|| WiseEventError::Malformed("the body has no event_type".to_owned()))?;
        let (resource_type, states): (&'static str, &[(&str, &'static str)]) =
            match event_type.as_str() {
                USER_STATE_CHANGE => (
                    "user",
                    &[
                        ("ACTIVE", "active"),
                        ("WITHDRAW_ONLY", "withdraw_only"),
                        ("DEACTIVATED", "deactivated"),
                    ],
                ),
                PROFILE_VERIFICATION_CHANGE => (
                    "profile",
                    &[("verified", "verified"), ("not_verified", "not_verified")],
                ),
                other => {
                    tracing::info!(
                        wise.delivery_id = delivery_id,
                        wise.event_type = other,
                        "Wise event of a type wiselink does not act on"
                    );
                    return Ok(Received::Ignored);
                }
            };
        let envelope: Envelope = serde_json::from_slice(delivery.body)
            .map_err(|e| WiseEventError::Malformed(format!("the {event_type} body: {e}")))?;
        let state = states
            .iter()
            .find(|(wise, _)| *wise == envelope.data.current_state)
            .map(|(_, ours)| *ours)
            .ok_or_else(|| {
                WiseEventError::Malformed(format!(
                    "unknown current_state {:?}",
                    envelope.data.current_state
                ))
            })?;
        let id = delivery_id.to_owned();
        let resource_id = envelope.data.resource.id;
        let occurred_at = crate::clock::stored(envelope.data.occurred_at);
        let received_at = self.clock.now();
        let inserted = self
            .db
            .run(move |conn| {
                let row = NewWiseDelivery {
                    delivery_id: &id,
                    event_type: &envelope.event_type,
                    resource_type,
                    resource_id,
                    current_state: state,
                    occurred_at,
                    received_at,
                };
                store::insert(conn, &row)
            })
            .await?;
        if inserted {
            self.wake.notify_one();
            Ok(Received::Accepted)
        } else {
            Ok(Received::Duplicate)
        }
    }
}
