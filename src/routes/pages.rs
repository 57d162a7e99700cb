//! Pages for customers in a browser: the link page (the code-entry page that wiselink's "finish
//! linking" email points to, and the redirect flow's "Continue to Wise"), and the redirect flow's
//! return from Wise.

pub(crate) mod authorize;
mod brand;
mod code_entry;
mod dispute;

pub(crate) use code_entry::browser_locale;

use crate::http::html;
use crate::routes::resource;
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/link/{session_token}", "GET, POST")
            .route(web::get().to(code_entry::show))
            .route(web::post().to(code_entry::submit)),
    )
    .service(
        resource("/dispute/{token}", "GET, POST")
            .route(web::get().to(dispute::show))
            .route(web::post().to(dispute::confirm)),
    )
    .service(resource("/oauth/callback", "GET").route(web::get().to(authorize::callback)))
    .service(resource("/oauth/result", "GET").route(web::get().to(authorize::result)))
    .service(resource(html::STYLESHEET_PATH, "GET").route(web::get().to(html::stylesheet)))
    .service(resource(html::SCRIPT_PATH, "GET").route(web::get().to(html::script)))
    .service(resource("/assets/brand.css", "GET").route(web::get().to(brand::stylesheet)))
    .service(resource("/assets/brand/logo", "GET").route(web::get().to(brand::logo)));
}
