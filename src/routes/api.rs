//! The partner-facing JSON API under `/v1`.

pub mod customers;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    customers::configure(cfg);
}
