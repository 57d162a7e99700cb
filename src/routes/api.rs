//! The partner-facing JSON API under `/v1`.

pub mod auth;
pub mod customers;
pub mod links;
pub mod stats;
pub mod test_triggers;
pub mod webhooks;
pub mod write;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    customers::configure(cfg);
    links::configure(cfg);
    stats::configure(cfg);
    test_triggers::configure(cfg);
    webhooks::configure(cfg);
}
