//! Pages for customers in a browser: the code-entry page that wiselink's "finish linking" email
//! points to.

mod code_entry;

use crate::http::html;
use crate::routes::resource;
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/link/{session_token}", "GET, POST")
            .route(web::get().to(code_entry::show))
            .route(web::post().to(code_entry::submit)),
    )
    .service(resource(html::STYLESHEET_PATH, "GET").route(web::get().to(html::stylesheet)));
}
