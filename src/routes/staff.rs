//! `/staff`: the support staff's back office. Every handler but sign-in takes a [`gate`]
//! extractor naming the least role it allows — `Signed<R>` for a page, `Posted<R>` for a form —
//! so a route cannot be served without declaring who may use it. Anonymous requests go to the
//! sign-in page; every POST must come from our own pages (`Sec-Fetch-Site` / `Origin`) and carry
//! the session's form token.

mod admin;
mod gate;
mod insights;
mod link;
mod login;
mod pages;
mod queue;
mod sso;
mod webhooks;

pub use gate::SESSION_COOKIE;
pub use login::LoginLimiter;

use crate::routes::resource;
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/staff/login", "GET, POST")
            .route(web::get().to(login::show))
            .route(web::post().to(login::submit)),
    )
    .service(resource("/staff/logout", "POST").route(web::post().to(login::logout)))
    .service(resource("/staff/sso/start", "GET").route(web::get().to(sso::start)))
    .service(resource("/staff/sso/callback", "GET").route(web::get().to(sso::callback)))
    .service(resource("/staff", "GET").route(web::get().to(queue::show)))
    .service(resource("/staff/insights", "GET").route(web::get().to(insights::show)))
    .service(resource("/staff/links/{link_id}", "GET").route(web::get().to(link::show)))
    // Before the decisions' pattern, which would take `erase-customer` as an unknown action.
    .service(
        resource("/staff/links/{link_id}/erase-customer", "POST")
            .route(web::post().to(link::erase_customer)),
    )
    .service(
        resource("/staff/links/{link_id}/{action}", "POST").route(web::post().to(link::decide)),
    )
    .service(resource("/staff/admin", "GET").route(web::get().to(admin::show)))
    .service(resource("/staff/admin/staff", "POST").route(web::post().to(admin::add_staff)))
    .service(
        resource("/staff/admin/staff/{username}/{change}", "POST")
            .route(web::post().to(admin::change_staff)),
    )
    .service(resource("/staff/admin/keys", "POST").route(web::post().to(admin::create_key)))
    .service(
        resource("/staff/admin/keys/{key_id}/revoke", "POST")
            .route(web::post().to(admin::revoke_key)),
    )
    .service(
        resource("/staff/webhooks", "GET, POST")
            .route(web::get().to(webhooks::show))
            .route(web::post().to(webhooks::register)),
    )
    .service(
        resource("/staff/webhooks/{endpoint_id}/{change}", "POST")
            .route(web::post().to(webhooks::change)),
    )
    // Any other /staff address: the sign-in page for strangers, "not found" for staff.
    .service(web::resource("/staff/{rest:.*}").to(pages::unknown));
}
