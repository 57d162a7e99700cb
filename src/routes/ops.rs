//! Operations endpoints: health, readiness, metrics, API documentation. No authentication.

mod docs;
mod health;
mod metrics;

pub use docs::ApiDoc;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::resource("/healthz", "GET").route(web::get().to(health::healthz)))
        .service(super::resource("/readyz", "GET").route(web::get().to(health::readyz)))
        .service(super::resource("/metrics", "GET").route(web::get().to(metrics::metrics)));
    docs::configure(cfg);
}
