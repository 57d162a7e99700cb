use super::EndpointView;
use crate::domain::Invalid;
use crate::http::fields::{ObjectReader, read_body};
use crate::http::{Problem, RequestError};
use crate::routes::api::auth::ApiKeyAuth;
use crate::routes::api::write::{Bodiless, Write};
use crate::services::webhooks::{
    EndpointEdit, NewEndpoint, Subscription, WebhookService, parse_description,
};
use crate::settings::MAX_ROTATION_OVERLAP_SECS;
use actix_web::{HttpResponse, web};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The body of `POST /v1/webhook-endpoints`.
#[derive(ToSchema)]
pub struct EndpointInput {
    /// Where events are POSTed. In production `https` and a public address (checked now and at
    /// every delivery); in a development environment `http://127.0.0.1:…` works too.
    #[schema(example = "https://bank.example/hooks/wiselink", max_length = 2048)]
    url: String,
    /// Event types to receive, or `["*"]` for all of them.
    #[schema(value_type = Vec<String>, example = json!(["*"]), min_items = 1)]
    events: Subscription,
    #[schema(max_length = 200)]
    description: Option<String>,
}

/// The body of `PATCH /v1/webhook-endpoints/{endpoint_id}`: only the fields given change.
#[derive(ToSchema)]
pub struct EndpointPatch {
    #[schema(max_length = 2048)]
    url: Option<String>,
    #[schema(value_type = Option<Vec<String>>, min_items = 1)]
    events: Option<Subscription>,
    /// An empty string removes the description.
    #[schema(value_type = Option<String>, max_length = 200)]
    description: Option<Option<String>>,
    /// `false` stops deliveries (events meanwhile are not queued for this endpoint; resend them
    /// or read the feed); `true` starts them again, also after the endpoint was disabled for
    /// failing.
    enabled: Option<bool>,
}

/// The body of `POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret`.
#[derive(ToSchema)]
pub struct RotateInput {
    /// How long the previous secret keeps signing beside the new one (default
    /// `webhooks.rotation_overlap_secs`; 0 ends it at once; at most 7 days).
    #[schema(minimum = 0, maximum = 604800)]
    overlap_secs: Option<u32>,
}

/// Every webhook endpoint, oldest first.
#[derive(Serialize, ToSchema)]
pub struct EndpointList {
    items: Vec<EndpointView>,
}

/// `events`, read as a subscription (`None` when refused).
fn read_events(reader: &mut ObjectReader, required: bool) -> Option<Option<Subscription>> {
    let refuse = |reader: &mut ObjectReader, invalid: Invalid| {
        reader.refuse("events", invalid.code, invalid.message);
        None
    };
    match reader.take("events") {
        None if required => refuse(reader, Invalid::new("required", "events is required")),
        None => Some(None),
        Some(Value::Array(items)) => {
            let names: Option<Vec<String>> = items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect();
            let Some(names) = names else {
                return refuse(
                    reader,
                    Invalid::new("invalid_type", "events must be an array of strings"),
                );
            };
            match Subscription::parse(&names) {
                Ok(s) => Some(Some(s)),
                Err(invalid) => refuse(reader, invalid),
            }
        }
        Some(_) => refuse(
            reader,
            Invalid::new("invalid_type", "events must be an array of strings"),
        ),
    }
}

fn read_url(raw: &str) -> Result<String, Invalid> {
    if raw.trim().is_empty() {
        return Err(Invalid::new("required", "url is required"));
    }
    Ok(raw.to_owned())
}

impl EndpointInput {
    fn read(reader: &mut ObjectReader) -> Option<Self> {
        let url = reader.required("url", read_url);
        let events = read_events(reader, true);
        let description = reader.optional("description", parse_description);
        Some(Self {
            url: url?,
            events: events??,
            description: description?.flatten(),
        })
    }
}

impl From<EndpointInput> for NewEndpoint {
    fn from(input: EndpointInput) -> Self {
        Self {
            url: input.url,
            events: input.events,
            description: input.description,
        }
    }
}

impl From<EndpointPatch> for EndpointEdit {
    fn from(patch: EndpointPatch) -> Self {
        Self {
            url: patch.url,
            events: patch.events,
            description: patch.description,
            enabled: patch.enabled,
        }
    }
}

impl EndpointPatch {
    fn read(reader: &mut ObjectReader) -> Option<Self> {
        let url = reader.optional("url", read_url);
        let events = read_events(reader, false);
        let description = reader.optional("description", parse_description);
        let enabled = match reader.take("enabled") {
            None => Some(None),
            Some(Value::Bool(b)) => Some(Some(b)),
            Some(_) => {
                reader.refuse("enabled", "invalid_type", "enabled must be true or false");
                None
            }
        };
        Some(Self {
            url: url?,
            events: events?,
            description: description?,
            enabled: enabled?,
        })
    }
}

impl RotateInput {
    fn read(reader: &mut ObjectReader) -> Option<Self> {
        let overlap_secs = match reader.take("overlap_secs") {
            None => None,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(secs) if secs <= u64::from(MAX_ROTATION_OVERLAP_SECS) => Some(secs as u32),
                _ => {
                    reader.refuse(
                        "overlap_secs",
                        "out_of_range",
                        format!("overlap_secs must be 0 to {MAX_ROTATION_OVERLAP_SECS}"),
                    );
                    return None;
                }
            },
            Some(_) => {
                reader.refuse(
                    "overlap_secs",
                    "invalid_type",
                    "overlap_secs must be a number",
                );
                return None;
            }
        };
        Some(Self { overlap_secs })
    }
}

/// The view of an endpoint with its secret, shown this once and never stored by a cache.
fn with_secret(
    webhooks: &WebhookService,
    row: &crate::db::webhooks::EndpointRow,
    secret: &SecretString,
) -> EndpointView {
    let mut view = EndpointView::new(row, webhooks.now());
    view.secret = Some(secret.expose_secret().to_owned());
    view
}

/// Register a webhook endpoint (partner API key only). The answer carries the signing secret,
/// shown this once; deliveries are signed with it per the Standard Webhooks specification.
#[utoipa::path(
    post,
    path = "/v1/webhook-endpoints",
    tag = "webhooks",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first answer (1–255 visible ASCII characters)")),
    request_body(content = EndpointInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered; `secret` is shown this once", body = EndpointView),
        (status = 422, description = "Invalid fields, or a URL webhooks may not go to (`url_not_https`, `url_not_public`, `url_unresolvable`, …)"),
    ),
    security(("api_key" = []))
)]
pub async fn create_endpoint(
    write: Write<ApiKeyAuth>,
    webhooks: web::Data<WebhookService>,
) -> Result<HttpResponse, RequestError> {
    let actor = write.caller.actor();
    write.run(create(&webhooks, write.body(), &actor)).await
}

async fn create(
    webhooks: &WebhookService,
    body: &[u8],
    actor: &str,
) -> Result<HttpResponse, Problem> {
    let input = read_body(body, EndpointInput::read)?;
    let (row, secret) = webhooks.create(input.into(), actor).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(with_secret(webhooks, &row, &secret)))
}

/// List webhook endpoints (partner API key only).
#[utoipa::path(
    get,
    path = "/v1/webhook-endpoints",
    tag = "webhooks",
    responses((status = 200, body = EndpointList)),
    security(("api_key" = []))
)]
pub async fn list_endpoints(
    _auth: ApiKeyAuth,
    webhooks: web::Data<WebhookService>,
) -> Result<HttpResponse, Problem> {
    let now = webhooks.now();
    let items = webhooks
        .list()
        .await?
        .iter()
        .map(|row| EndpointView::new(row, now))
        .collect();
    Ok(HttpResponse::Ok().json(EndpointList { items }))
}

/// Read a webhook endpoint (partner API key only).
#[utoipa::path(
    get,
    path = "/v1/webhook-endpoints/{endpoint_id}",
    tag = "webhooks",
    params(("endpoint_id" = String, Path)),
    responses((status = 200, body = EndpointView), (status = 404)),
    security(("api_key" = []))
)]
pub async fn get_endpoint(
    _auth: ApiKeyAuth,
    path: web::Path<String>,
    webhooks: web::Data<WebhookService>,
) -> Result<HttpResponse, Problem> {
    let row = webhooks.get(&path).await?;
    Ok(HttpResponse::Ok().json(EndpointView::new(&row, webhooks.now())))
}

/// Change a webhook endpoint: its URL, events, description, or whether it is enabled (partner
/// API key only).
#[utoipa::path(
    patch,
    path = "/v1/webhook-endpoints/{endpoint_id}",
    tag = "webhooks",
    params(
        ("endpoint_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first answer (1–255 visible ASCII characters)"),
    ),
    request_body(content = EndpointPatch, content_type = "application/json"),
    responses(
        (status = 200, body = EndpointView),
        (status = 404),
        (status = 422, description = "Invalid fields, or a URL webhooks may not go to"),
    ),
    security(("api_key" = []))
)]
pub async fn update_endpoint(
    write: Write<ApiKeyAuth>,
    path: web::Path<String>,
    webhooks: web::Data<WebhookService>,
) -> Result<HttpResponse, RequestError> {
    let actor = write.caller.actor();
    write
        .run(update(&webhooks, &path, write.body(), &actor))
        .await
}

async fn update(
    webhooks: &WebhookService,
    id: &str,
    body: &[u8],
    actor: &str,
) -> Result<HttpResponse, Problem> {
    // An unknown endpoint is not found whatever the body says.
    webhooks.get(id).await?;
    let patch = read_body(body, EndpointPatch::read)?;
    let row = webhooks.edit(id, patch.into(), actor).await?;
    Ok(HttpResponse::Ok().json(EndpointView::new(&row, webhooks.now())))
}

/// Delete a webhook endpoint with its delivery log (partner API key only). Events stay in the
/// feed.
#[utoipa::path(
    delete,
    path = "/v1/webhook-endpoints/{endpoint_id}",
    tag = "webhooks",
    params(
        ("endpoint_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and request replay the first answer (1–255 visible ASCII characters)"),
    ),
    responses((status = 204, description = "Deleted"), (status = 404)),
    security(("api_key" = []))
)]
pub async fn delete_endpoint(
    write: Write<ApiKeyAuth, Bodiless>,
    path: web::Path<String>,
    webhooks: web::Data<WebhookService>,
) -> Result<HttpResponse, RequestError> {
    let actor = write.caller.actor();
    write.run(delete(&webhooks, &path, &actor)).await
}

async fn delete(webhooks: &WebhookService, id: &str, actor: &str) -> Result<HttpResponse, Problem> {
    webhooks.delete(id, actor).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate an endpoint's signing secret (partner API key only). The answer carries the new
/// secret, shown this once; the previous one keeps signing beside it (a second `v1,` entry in
/// `webhook-signature`) until `previous_secret_expires_at`.
#[utoipa::path(
    post,
    path = "/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
    tag = "webhooks",
    params(
        ("endpoint_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first answer (1–255 visible ASCII characters)"),
    ),
    request_body(content = RotateInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Rotated; `secret` is shown this once", body = EndpointView),
        (status = 404),
    ),
    security(("api_key" = []))
)]
pub async fn rotate_secret(
    write: Write<ApiKeyAuth>,
    path: web::Path<String>,
    webhooks: web::Data<WebhookService>,
) -> Result<HttpResponse, RequestError> {
    let actor = write.caller.actor();
    write
        .run(rotate(&webhooks, &path, write.body(), &actor))
        .await
}

async fn rotate(
    webhooks: &WebhookService,
    id: &str,
    body: &[u8],
    actor: &str,
) -> Result<HttpResponse, Problem> {
    webhooks.get(id).await?;
    let input = read_body(body, RotateInput::read)?;
    let (row, secret) = webhooks
        .rotate_secret(id, input.overlap_secs, actor)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(with_secret(webhooks, &row, &secret)))
}
