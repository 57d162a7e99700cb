use crate::db::webhooks::EventRow;
use crate::http::{FieldError, Problem};
use crate::routes::api::auth::ApiKeyAuth;
use crate::services::webhooks::WebhookService;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 200;

/// What an event says about its link. Never a token, code, date of birth or email.
#[derive(Serialize, ToSchema)]
pub struct EventData {
    link_id: String,
    customer_ref: String,
    /// The link's state when the event happened.
    #[schema(example = "active")]
    state: String,
    /// What happened, machine-readable: the link event behind it, from the closed list in docs/webhooks.md,
    /// e.g. `identity_matched`, `access_revoked`, `staff_rejected`.
    #[schema(example = "identity_matched")]
    reason: String,
}

/// One event, exactly as a webhook delivery carries it.
#[derive(Serialize, ToSchema)]
pub struct EventItem {
    /// The event's id, also every delivery's `webhook-id`.
    #[schema(example = "evt_0f6c1b2a3d4e5f60718293a4b5c6d7e8")]
    id: String,
    #[serde(rename = "type")]
    #[schema(example = "link.active")]
    event_type: String,
    created_at: String,
    data: EventData,
}

impl From<EventRow> for EventItem {
    fn from(e: EventRow) -> Self {
        Self {
            id: e.event_id,
            event_type: e.event_type,
            created_at: crate::routes::api::customers::timestamp(e.created_at),
            data: EventData {
                link_id: e.link_id,
                customer_ref: e.customer_ref,
                state: e.state,
                reason: e.reason,
            },
        }
    }
}

/// Events after a cursor, in the order they happened.
#[derive(Serialize, ToSchema)]
pub struct EventPage {
    items: Vec<EventItem>,
    /// Pass as `after` next time; present even when `items` is empty, so a poller keeps its place.
    #[schema(example = "1042")]
    next_cursor: String,
}

/// The event feed: the same events webhooks deliver, with the same ids, for partners who cannot
/// receive webhooks (partner API key only). Start without `after`, then pass each answer's
/// `next_cursor`. An event appears in the feed within about `webhooks.delivery_interval_ms` of
/// the change, and never behind an event already read.
#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "webhooks",
    params(
        ("after" = Option<String>, Query, description = "`next_cursor` of the previous answer"),
        ("limit" = Option<i64>, Query, description = "1–200, default 100"),
    ),
    responses(
        (status = 200, body = EventPage),
        (status = 422, description = "Invalid cursor or limit"),
    ),
    security(("api_key" = []))
)]
pub async fn event_feed(
    _auth: ApiKeyAuth,
    query: web::Query<HashMap<String, String>>,
    webhooks: web::Data<WebhookService>,
) -> Result<HttpResponse, Problem> {
    let mut after = 0i64;
    let mut limit = DEFAULT_LIMIT;
    let mut errors = Vec::new();
    for (key, value) in query.iter() {
        match key.as_str() {
            "after" => match value.parse::<i64>() {
                Ok(n) if n >= 0 && value.bytes().all(|b| b.is_ascii_digit()) => after = n,
                _ => errors.push(FieldError::new(
                    key,
                    "invalid_cursor",
                    "after is not a cursor this API returned",
                )),
            },
            "limit" => match value.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => limit = n,
                _ => errors.push(FieldError::new(
                    key,
                    "out_of_range",
                    "limit must be 1 to 200",
                )),
            },
            other => errors.push(FieldError::new(
                other,
                "unknown_parameter",
                "not a known query parameter",
            )),
        }
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(Problem::validation(errors));
    }
    let rows = webhooks.feed(after, limit).await?;
    let next_cursor = rows
        .last()
        .and_then(|e| e.feed_seq)
        .unwrap_or(after)
        .to_string();
    let items = rows.into_iter().map(EventItem::from).collect();
    Ok(HttpResponse::Ok().json(EventPage { items, next_cursor }))
}
