//! `/__sim/rate-limits`: enforce Wise's request limits (429 with `Retry-After` past them), read
//! them with the requests admitted and refused so far and the busiest second and minute, or stop
//! enforcing them. Off until asked.

use super::{Simulator, bad_request};
use crate::state::{Limiter, RateLimits};
use actix_web::{HttpResponse, web};
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/rate-limits", web::put().to(set))
        .route("/rate-limits", web::get().to(get))
        .route("/rate-limits", web::delete().to(clear));
}

/// `PUT {per_second, per_minute}`: enforce these limits from now on, with fresh windows.
async fn set(body: web::Json<RateLimits>, sim: web::Data<Simulator>) -> HttpResponse {
    let limits = body.into_inner();
    let problems = limits.problems();
    if !problems.is_empty() {
        return bad_request(problems.join("; "));
    }
    sim.lock().control.limiter = Some(Limiter::new(limits));
    HttpResponse::Ok().json(
        json!({"per_second": limits.per_second, "per_minute": limits.per_minute, "admitted": 0, "refused": 0, "busiest_second": 0, "busiest_minute": 0}),
    )
}

/// The limits enforced, the requests admitted and refused since they were set, and the most
/// admitted in any one second and any one minute; `null` when off.
async fn get(sim: web::Data<Simulator>) -> HttpResponse {
    let state = sim.lock();
    HttpResponse::Ok().json(state.control.limiter.as_ref().map(|l| {
        json!({
            "per_second": l.limits.per_second,
            "per_minute": l.limits.per_minute,
            "admitted": l.admitted_total,
            "refused": l.refused,
            "busiest_second": l.busiest_second,
            "busiest_minute": l.busiest_minute,
        })
    }))
}

async fn clear(sim: web::Data<Simulator>) -> HttpResponse {
    sim.lock().control.limiter = None;
    HttpResponse::NoContent().finish()
}
