//! `POST /wise/webhooks`: where Wise delivers its application webhooks (`users#state-change`,
//! `profiles#verification-state-change`). Verified, stored once, answered at once; applied by the
//! worker. Not for partners: Wise's signature is the only credential.

use crate::http::{Problem, RequestError, body};
use crate::services::wise_events::{Delivery, WiseEventError, WiseEventService};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(crate::routes::resource("/wise/webhooks", "POST").route(web::post().to(receive)));
}

/// What became of the delivery.
#[derive(Serialize, ToSchema)]
pub struct WiseReceipt {
    /// `accepted` (stored, applied shortly), `duplicate` (this `X-Delivery-Id` came before),
    /// `ignored` (an event type wiselink does not act on) or `test` (a test notification).
    #[schema(example = "accepted")]
    status: &'static str,
}

/// Receive one of Wise's application webhooks (for Wise, not partners): `X-Signature-SHA256` must
/// be Wise's RSA-SHA256 signature of the raw body under one of `wise_webhooks.public_keys`.
#[utoipa::path(
    post,
    path = "/wise/webhooks",
    tag = "wise",
    params(
        ("X-Signature-SHA256" = String, Header, description = "Base64 RSA-SHA256 signature of the raw body"),
        ("X-Delivery-Id" = String, Header, description = "Wise's id for this delivery; a repeat changes nothing"),
        ("X-Test-Notification" = Option<String>, Header, description = "`true` for a test notification: acknowledged only"),
    ),
    request_body(content = Object, content_type = "application/json", description = "Wise's envelope: `{data, subscription_id, event_type, schema_version, sent_at}`"),
    responses(
        (status = 200, description = "Received", body = WiseReceipt),
        (status = 400, description = "Signed, but not an envelope Wise sends (`wise_event_malformed`)"),
        (status = 401, description = "Missing or wrong signature (`wise_signature_invalid`); nothing stored"),
        (status = 413, description = "Body too large"),
        (status = 415, description = "Not JSON"),
    )
)]
pub async fn receive(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    events: web::Data<WiseEventService>,
) -> Result<HttpResponse, Problem> {
    let body = body::read_json(&req, payload, &state.settings.server)
        .await
        .map_err(|e: RequestError| e.problem())?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let delivery = Delivery {
        signature: header("x-signature-sha256"),
        delivery_id: header("x-delivery-id"),
        test: header("x-test-notification").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        body: &body,
    };
    match events.receive(delivery).await {
        Ok(received) => Ok(HttpResponse::Ok().json(WiseReceipt {
            status: received.as_str(),
        })),
        Err(WiseEventError::BadSignature) => {
            metrics::counter!("wiselink_wise_deliveries_refused_total", "why" => "signature")
                .increment(1);
            tracing::warn!("refused a Wise webhook whose signature does not verify");
            Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "wise_signature_invalid",
                "The signature does not verify",
            )
            .detail("X-Signature-SHA256 must be Wise's signature of the raw body under one of the configured public keys."))
        }
        Err(WiseEventError::Malformed(why)) => {
            metrics::counter!("wiselink_wise_deliveries_refused_total", "why" => "malformed")
                .increment(1);
            Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "wise_event_malformed",
                "Not an event Wise sends",
            )
            .detail(why))
        }
        Err(WiseEventError::Db(e)) => Err(Problem::from(e)),
    }
}
