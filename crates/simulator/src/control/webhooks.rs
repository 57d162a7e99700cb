//! `/__sim/webhooks/…` and `/__sim/profiles/{id}/verification`: what tests do to Wise's webhook
//! deliveries — read the public key and the delivery log, hold deliveries and release them
//! reversed or twice, forge the next ones — and the profile verification change that fires one.

use super::{Simulator, bad_request};
use crate::state::Forgery;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhooks/public-key", web::get().to(public_key))
        .route("/webhooks/deliveries", web::get().to(deliveries))
        .route("/webhooks/hold", web::post().to(hold))
        .route("/webhooks/release", web::post().to(release))
        .route("/webhooks/forge", web::post().to(forge))
        .route("/profiles/{id}/verification", web::post().to(verification));
}

/// The PEM public key deliveries are signed with (what `wise.webhook_public_keys` names).
async fn public_key() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/x-pem-file")
        .body(crate::webhooks::public_key_pem())
}

/// Every delivery queued so far with its attempts' statuses, oldest first.
async fn deliveries(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(sim.lock().subscriptions.deliveries())
}

async fn hold(sim: web::Data<Simulator>) -> HttpResponse {
    sim.lock().subscriptions.hold();
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Release {
    /// Newest first.
    reverse: bool,
    /// Each delivery twice, with the same `X-Delivery-Id`.
    duplicate: bool,
}

async fn release(body: Option<web::Json<Release>>, sim: web::Data<Simulator>) -> HttpResponse {
    let how = body.map(web::Json::into_inner).unwrap_or_default();
    let now = sim.clock.now_utc();
    let released = sim
        .lock()
        .subscriptions
        .release(how.reverse, how.duplicate, now);
    HttpResponse::Ok().json(json!({"released": released}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Forge {
    mode: Forgery,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

async fn forge(body: web::Json<Forge>, sim: web::Data<Simulator>) -> HttpResponse {
    if body.count == 0 {
        return bad_request("count must be at least 1");
    }
    sim.lock().subscriptions.forge(body.mode, body.count);
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Verification {
    /// `verified` or `not_verified`.
    state: String,
}

/// `POST /__sim/profiles/{id}/verification`: Wise (re)verified a profile or withdrew it.
async fn verification(
    path: web::Path<i64>,
    body: web::Json<Verification>,
    sim: web::Data<Simulator>,
) -> HttpResponse {
    let verified = match body.state.as_str() {
        "verified" => true,
        "not_verified" => false,
        _ => return bad_request("state must be verified or not_verified"),
    };
    let now = sim.clock.now_utc();
    match sim
        .lock()
        .change_verification(path.into_inner(), verified, now)
    {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(problem) => HttpResponse::NotFound().json(json!({"error": problem})),
    }
}
