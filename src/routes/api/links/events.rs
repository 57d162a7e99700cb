use crate::http::Problem;
use crate::routes::api::auth::ApiKeyAuth;
use crate::routes::api::customers::timestamp;
use crate::services::links::LinkService;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

/// One entry of a link's audit trail.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// What happened, e.g. `code_refused` or `exchange_deferred` (docs/linking.md lists them).
    /// Absent on events written before event names were stored.
    #[schema(example = "code_submitted")]
    event: Option<String>,
    from_state: Option<String>,
    to_state: String,
    actor: String,
    reason: Option<String>,
    wise_trace_id: Option<String>,
    at: String,
}

/// The audit trail of a link, oldest first (partner API key only).
#[utoipa::path(
    get,
    path = "/v1/links/{link_id}/events",
    tag = "links",
    params(("link_id" = String, Path)),
    responses((status = 200, body = [EventView]), (status = 404)),
    security(("api_key" = []))
)]
pub async fn list_events(
    _auth: ApiKeyAuth,
    path: web::Path<String>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, Problem> {
    let events: Vec<EventView> = links
        .events(&super::link_id(&path)?)
        .await?
        .into_iter()
        .map(|e| EventView {
            event: e.event,
            from_state: e.from_state,
            to_state: e.to_state,
            actor: e.actor,
            reason: e.reason,
            wise_trace_id: e.wise_trace_id,
            at: timestamp(e.created_at),
        })
        .collect();
    Ok(HttpResponse::Ok().json(events))
}
