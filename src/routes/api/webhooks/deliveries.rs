use crate::db::webhooks::{
    AttemptRow, DELIVERED, DeliveryFilter, DeliveryRow, FAILED, PENDING, Resend,
};
use crate::domain::{EndpointId, Invalid, is_event_id};
use crate::http::fields::{ObjectReader, read_body};
use crate::http::{FieldError, Problem, RequestError};
use crate::routes::api::auth::ApiKeyAuth;
use crate::routes::api::customers::timestamp;
use crate::routes::api::write::Write;
use crate::services::webhooks::WebhookService;
use actix_web::{HttpResponse, web};
use chrono::DateTime;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

/// One attempt to deliver an event.
#[derive(Serialize, ToSchema)]
pub struct AttemptView {
    at: String,
    latency_ms: i32,
    /// The receiver's status code; absent when it gave none (no connection, no answer in time).
    status_code: Option<i32>,
    /// Why the attempt did not deliver.
    error: Option<String>,
    /// The start of the receiver's answer (at most 512 bytes).
    response_excerpt: Option<String>,
}

/// One event's delivery to one endpoint, with every attempt.
#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    #[schema(example = "41")]
    id: String,
    endpoint_id: String,
    /// The event's id: every attempt's `webhook-id`.
    event_id: String,
    #[schema(example = "link.active")]
    event_type: String,
    link_id: String,
    /// `pending` (waiting for its next attempt, or for the link's earlier event), `delivered`
    /// (a 2xx answer) or `failed` (every attempt of the schedule failed).
    #[schema(pattern = "^(pending|delivered|failed)$")]
    status: String,
    attempt_count: i32,
    /// When the next attempt is due (pending only).
    next_attempt_at: Option<String>,
    created_at: String,
    /// When the 2xx answer was recorded (the attempt's own time is in `attempts`).
    delivered_at: Option<String>,
    attempts: Vec<AttemptView>,
}

impl DeliveryView {
    fn new(row: DeliveryRow, attempts: Vec<AttemptRow>) -> Self {
        Self {
            id: row.id.to_string(),
            endpoint_id: row.endpoint_id,
            event_id: row.event_id,
            event_type: row.event_type,
            link_id: row.link_id,
            next_attempt_at: (row.status == PENDING).then(|| timestamp(row.next_attempt_at)),
            status: row.status,
            attempt_count: row.attempts,
            created_at: timestamp(row.created_at),
            delivered_at: row.delivered_at.map(timestamp),
            attempts: attempts
                .into_iter()
                .map(|a| AttemptView {
                    at: timestamp(a.attempted_at),
                    latency_ms: a.latency_ms,
                    status_code: a.status_code,
                    error: a.error,
                    response_excerpt: a.response_excerpt,
                })
                .collect(),
        }
    }
}

/// One page of deliveries, newest first.
#[derive(Serialize, ToSchema)]
pub struct DeliveryPage {
    items: Vec<DeliveryView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    next_cursor: Option<String>,
}

fn parse(query: &HashMap<String, String>) -> Result<DeliveryFilter, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut filter = DeliveryFilter {
        limit: DEFAULT_LIMIT,
        ..DeliveryFilter::default()
    };
    for (key, value) in query {
        match key.as_str() {
            "endpoint_id" if EndpointId::is_valid(value) => {
                filter.endpoint_id = Some(value.clone());
            }
            "endpoint_id" => errors.push(FieldError::new(
                key,
                "invalid_endpoint_id",
                "endpoint_id is not a webhook endpoint id",
            )),
            "event_id" if is_event_id(value) => filter.event_id = Some(value.clone()),
            "event_id" => errors.push(FieldError::new(
                key,
                "invalid_event_id",
                "event_id is not an event id",
            )),
            "status" => match [PENDING, DELIVERED, FAILED]
                .into_iter()
                .find(|s| s == value)
            {
                Some(s) => filter.status = Some(s),
                None => errors.push(FieldError::new(
                    key,
                    "unknown_status",
                    "status must be pending, delivered or failed",
                )),
            },
            "cursor" => match value.parse::<i64>() {
                Ok(n) if n > 0 && value.bytes().all(|b| b.is_ascii_digit()) => {
                    filter.before = Some(n);
                }
                _ => errors.push(FieldError::new(
                    key,
                    "invalid_cursor",
                    "cursor is not one this API returned",
                )),
            },
            "limit" => match value.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => filter.limit = n,
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
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(errors)
    }
}

/// The delivery log: each event's delivery to each endpoint with every attempt, newest first
/// (partner API key only).
#[utoipa::path(
    get,
    path = "/v1/webhook-deliveries",
    tag = "webhooks",
    params(
        ("endpoint_id" = Option<String>, Query, description = "Only deliveries to this endpoint"),
        ("event_id" = Option<String>, Query, description = "Only deliveries of this event"),
        ("status" = Option<String>, Query, description = "`pending`, `delivered` or `failed`"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<i64>, Query, description = "1–200, default 50"),
    ),
    responses(
        (status = 200, body = DeliveryPage),
        (status = 422, description = "Invalid filter or cursor"),
    ),
    security(("api_key" = []))
)]
pub async fn list_deliveries(
    _auth: ApiKeyAuth,
    query: web::Query<HashMap<String, String>>,
    webhooks: web::Data<WebhookService>,
) -> Result<HttpResponse, Problem> {
    let filter = parse(&query).map_err(Problem::validation)?;
    let limit = filter.limit;
    let mut rows = webhooks
        .deliveries(DeliveryFilter {
            limit: limit + 1,
            ..filter
        })
        .await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = has_more
        .then(|| rows.last().map(|(d, _)| d.id.to_string()))
        .flatten();
    let items = rows
        .into_iter()
        .map(|(d, a)| DeliveryView::new(d, a))
        .collect();
    Ok(HttpResponse::Ok().json(DeliveryPage { items, next_cursor }))
}

/// The body of `POST /v1/webhook-endpoints/{endpoint_id}/resend`: exactly one of the two.
#[derive(ToSchema)]
pub struct ResendInput {
    /// Send this event to the endpoint again (or for the first time).
    #[schema(example = "evt_0f6c1b2a3d4e5f60718293a4b5c6d7e8")]
    event_id: Option<String>,
    /// Send every failed delivery of an event created at or after this time again.
    #[schema(value_type = Option<String>, example = "2026-12-01T00:00:00Z")]
    failed_since: Option<chrono::NaiveDateTime>,
}

impl ResendInput {
    fn read(reader: &mut ObjectReader) -> Option<Self> {
        let event = reader.optional("event_id", |raw| {
            if is_event_id(raw) {
                Ok(raw.to_owned())
            } else {
                Err(Invalid::new(
                    "invalid_event_id",
                    "event_id is not an event id",
                ))
            }
        });
        let since = reader.optional("failed_since", |raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.naive_utc())
                .map_err(|_| Invalid::new("invalid_time", "failed_since must be an RFC 3339 time"))
        });
        match (event?, since?) {
            (Some(event_id), None) => Some(Self {
                event_id: Some(event_id),
                failed_since: None,
            }),
            (None, Some(since)) => Some(Self {
                event_id: None,
                failed_since: Some(since),
            }),
            _ => {
                reader.refuse(
                    "event_id",
                    "one_of_required",
                    "give exactly one of event_id and failed_since",
                );
                None
            }
        }
    }
}

/// How many deliveries a resend queued.
#[derive(Serialize, ToSchema)]
pub struct ResendView {
    queued: usize,
}

/// Send events to an endpoint again (partner API key only): one event, or every failed delivery
/// since a time. Each goes with its original `webhook-id`, due now, with a fresh schedule.
#[utoipa::path(
    post,
    path = "/v1/webhook-endpoints/{endpoint_id}/resend",
    tag = "webhooks",
    params(
        ("endpoint_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first answer (1–255 visible ASCII characters)"),
    ),
    request_body(content = ResendInput, content_type = "application/json"),
    responses(
        (status = 202, description = "Queued", body = ResendView),
        (status = 404, description = "No such endpoint (`webhook_endpoint_not_found`) or event (`event_not_found`)"),
    ),
    security(("api_key" = []))
)]
pub async fn resend(
    write: Write<ApiKeyAuth>,
    path: web::Path<String>,
    webhooks: web::Data<WebhookService>,
) -> Result<HttpResponse, RequestError> {
    let actor = write.caller.actor();
    write
        .run(queue_again(&webhooks, &path, write.body(), &actor))
        .await
}

async fn queue_again(
    webhooks: &WebhookService,
    endpoint_id: &str,
    body: &[u8],
    actor: &str,
) -> Result<HttpResponse, Problem> {
    webhooks.get(endpoint_id).await?;
    let input = read_body(body, ResendInput::read)?;
    let what = match (input.event_id, input.failed_since) {
        (Some(event_id), _) => Resend::Event(event_id),
        (None, Some(since)) => Resend::FailedSince(since),
        // `read` refuses a body with neither.
        (None, None) => return Err(Problem::validation(Vec::new())),
    };
    let queued = webhooks.resend(endpoint_id, what, actor).await?;
    Ok(HttpResponse::Accepted().json(ResendView { queued }))
}
