use crate::db::webhooks::EndpointRow;
use crate::routes::api::customers::timestamp;
use crate::services::webhooks::Subscription;
use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

/// A webhook endpoint. `secret` is present only in the answers that create it: registering the
/// endpoint and rotating its secret.
#[derive(Serialize, ToSchema)]
pub struct EndpointView {
    #[schema(example = "we_5f0c2a7e9b1d4c3a8e6f7b2d1c0a9e8f")]
    pub id: String,
    #[schema(example = "https://bank.example/hooks/wiselink")]
    pub url: String,
    pub description: Option<String>,
    /// Event types delivered to this endpoint, or `["*"]` for all.
    #[schema(example = json!(["link.active", "link.relink_required"]))]
    pub events: Vec<String>,
    pub enabled: bool,
    /// Why the endpoint is disabled: `partner` (disabled over the API or by staff) or `failing`
    /// (every attempt failed for `webhooks.disable_after_hours`).
    #[schema(pattern = "^(partner|failing)$")]
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed, if the last one did.
    pub failing_since: Option<String>,
    /// After a rotation: until when the previous secret signs beside the new one.
    pub previous_secret_expires_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The signing secret (`whsec_…`), shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: Option<String>,
}

impl EndpointView {
    pub fn new(row: &EndpointRow, now: NaiveDateTime) -> Self {
        Self {
            id: row.id.clone(),
            url: row.url.clone(),
            description: row.description.clone(),
            events: Subscription::names(&row.event_types),
            enabled: row.enabled,
            disabled_reason: row.disabled_reason.clone(),
            failing_since: row.failing_since.map(timestamp),
            previous_secret_expires_at: row
                .previous_secret_until
                .filter(|until| *until > now)
                .map(timestamp),
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
            secret: None,
        }
    }
}
