//! HTTP routes. Each module registers itself through `configure`.

pub mod api;
pub mod demo;
pub mod dev;
pub mod link_errors;
pub mod ops;
pub mod pages;
pub mod staff;
pub mod wise;

use crate::http::problem::method_not_allowed;
use crate::settings::{MailTransport, Settings};
use actix_web::{Resource, web};

pub fn configure(
    cfg: &mut web::ServiceConfig,
    settings: &Settings,
    demo: Option<std::sync::Arc<crate::demo::DemoInfo>>,
) {
    ops::configure(cfg);
    api::configure(cfg);
    pages::configure(cfg);
    staff::configure(cfg);
    wise::configure(cfg);
    // Routes that exist only on a developer's machine answer only requests naming it.
    let local = || crate::http::local_host::guard(&settings.server.public_url);
    if settings.mail.transport == MailTransport::Dev {
        dev::configure(cfg, local);
    }
    if let Some(info) = demo {
        demo::configure(cfg, info, local);
    }
}

/// A resource whose unsupported methods get a 405 problem, with `Allow` naming `allow` (the
/// methods its routes take, e.g. `"GET, PUT"`), instead of an empty body.
pub(crate) fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || method_not_allowed(allow)))
}
