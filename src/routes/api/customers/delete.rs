use super::timestamp;
use crate::http::{Problem, RequestError};
use crate::routes::api::auth::ApiKeyAuth;
use crate::routes::api::write::{Bodiless, Write};
use crate::services::links::{LinkService, PARTNER_ERASURE};
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

/// What an erasure did: when, and the customer's links (all final now, their records kept).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureView {
    #[schema(example = "cust-1042")]
    pub customer_ref: String,
    #[schema(format = DateTime)]
    pub erased_at: String,
    /// Every link of the customer; `GET /v1/links/{link_id}` and its events stay readable.
    pub link_ids: Vec<String>,
}

/// Erase a customer (GDPR art. 17).
///
/// Every link in progress or active is unlinked (the partner hears `link.unlinked` as for any
/// unlink), then the customer's personal data is erased everywhere wiselink holds it: email, date
/// of birth and names; each link's signup email, Wise ids, tokens and what its identity check
/// compared; the emails queued or sent; stored `Idempotency-Key` answers. The links and their
/// audit trail stay, without the personal data, as the record of what was decided. All or
/// nothing: while a link's code is being exchanged the answer is 409 `link_busy` and nothing
/// changed. Erasing an erased customer answers the first erasure again. An erased customer_ref
/// stays erased: `PUT` and new links answer 410 `customer_erased`.
#[utoipa::path(
    delete,
    path = "/v1/customers/{customer_ref}",
    tag = "customers",
    params(
        ("customer_ref" = String, Path, description = "The partner's id for the customer"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and request replay the first answer (1–255 visible ASCII characters)"),
    ),
    responses(
        (status = 200, description = "Erased (now or before)", body = ErasureView),
        (status = 400, description = "Malformed Idempotency-Key (`invalid_idempotency_key`)"),
        (status = 401, description = "Missing or invalid API key"),
        (status = 404, description = "No such customer (`customer_not_found`)"),
        (status = 409, description = "A link is mid-exchange (`link_busy`, with Retry-After), or a request with this Idempotency-Key is in progress"),
        (status = 422, description = "Malformed customer_ref, or Idempotency-Key reused with another request"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "erase_customer", skip_all)]
pub async fn erase_customer(
    write: Write<ApiKeyAuth, Bodiless>,
    path: web::Path<String>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, RequestError> {
    let actor = write.caller.actor();
    write.run(erase(&links, &path, &actor)).await
}

async fn erase(links: &LinkService, raw_ref: &str, actor: &str) -> Result<HttpResponse, Problem> {
    let customer_ref = super::path_ref(raw_ref).map_err(|p| *p)?;
    let erased = links
        .erase_customer(customer_ref, actor, PARTNER_ERASURE)
        .await?;
    Ok(HttpResponse::Ok().json(ErasureView {
        customer_ref: erased.customer_ref,
        erased_at: timestamp(erased.erased_at),
        link_ids: erased.links.iter().map(ToString::to_string).collect(),
    }))
}
