use super::EndpointView;
use super::inputs::{EndpointInput, EndpointPatch, RotateInput};
use crate::http::fields::read_body;
use crate::http::{Problem, RequestError};
use crate::routes::api::auth::ApiKeyAuth;
use crate::routes::api::write::{Bodiless, Write};
use crate::services::webhooks::WebhookService;
use actix_web::{HttpResponse, web};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use utoipa::ToSchema;
/// Every webhook endpoint, oldest first.
#[derive(Serialize, ToSchema)]
pub struct EndpointList {
    items: Vec<EndpointView>,
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
