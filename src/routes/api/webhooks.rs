//! The partner's webhooks: endpoints (`/v1/webhook-endpoints`), the delivery log and resends
//! (`/v1/webhook-deliveries`, `…/resend`), and the pull feed of the same events (`/v1/events`).

mod deliveries;
mod endpoints;
mod feed;
mod inputs;
mod view;

pub use deliveries::{
    __path_list_deliveries, __path_resend, AttemptView, DeliveryPage, DeliveryView, ResendInput,
    ResendView,
};
pub use endpoints::{
    __path_create_endpoint, __path_delete_endpoint, __path_get_endpoint, __path_list_endpoints,
    __path_rotate_secret, __path_update_endpoint, EndpointList,
};
pub use feed::{__path_event_feed, EventData, EventItem, EventPage};
pub use inputs::{EndpointInput, EndpointPatch, RotateInput};
pub use view::EndpointView;

use crate::http::Problem;
use crate::services::webhooks::WebhookError;
use actix_web::http::StatusCode;
use actix_web::web;

impl From<WebhookError> for Problem {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::EndpointNotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "webhook_endpoint_not_found",
                "Webhook endpoint not found",
            ),
            WebhookError::EventNotFound => {
                Problem::new(StatusCode::NOT_FOUND, "event_not_found", "Event not found")
            }
            WebhookError::Url(invalid) => Problem::validation(vec![crate::http::FieldError {
                field: "url".to_owned(),
                code: invalid.code.to_owned(),
                message: invalid.message,
            }]),
            WebhookError::Db(e) => Problem::database(&e),
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::routes::resource;
    cfg.service(
        resource("/v1/webhook-endpoints", "POST, GET")
            .route(web::post().to(endpoints::create_endpoint))
            .route(web::get().to(endpoints::list_endpoints)),
    )
    .service(
        resource("/v1/webhook-endpoints/{endpoint_id}", "GET, PATCH, DELETE")
            .route(web::get().to(endpoints::get_endpoint))
            .route(web::patch().to(endpoints::update_endpoint))
            .route(web::delete().to(endpoints::delete_endpoint)),
    )
    .service(
        resource("/v1/webhook-endpoints/{endpoint_id}/rotate-secret", "POST")
            .route(web::post().to(endpoints::rotate_secret)),
    )
    .service(
        resource("/v1/webhook-endpoints/{endpoint_id}/resend", "POST")
            .route(web::post().to(deliveries::resend)),
    )
    .service(
        resource("/v1/webhook-deliveries", "GET").route(web::get().to(deliveries::list_deliveries)),
    )
    .service(resource("/v1/events", "GET").route(web::get().to(feed::event_feed)));
}
