//! `/staff`: the support staff's back office. Every route is in [`ROUTES`] with the least role it
//! allows; [`gate`] reads that table for each request, so a route cannot be served without
//! declaring who may use it. Anonymous requests go to the sign-in page; every POST must come
//! from our own pages (`Sec-Fetch-Site` / `Origin`) and carry the session's form token.

mod admin;
mod gate;
mod link;
mod login;
mod pages;
mod queue;

pub use gate::SESSION_COOKIE;
pub use login::LoginLimiter;

use crate::domain::Role;
use crate::routes::resource;
use actix_web::web;

/// One staff route and the least role it allows (`None`: anyone, signed in or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub role: Option<Role>,
}

const fn route(method: &'static str, path: &'static str, role: Option<Role>) -> StaffRoute {
    StaffRoute { method, path, role }
}

const VIEWER: Option<Role> = Some(Role::Viewer);
const REVIEWER: Option<Role> = Some(Role::Reviewer);
const ADMIN: Option<Role> = Some(Role::Admin);

/// Every staff route, with who may use it.
pub const ROUTES: &[StaffRoute] = &[
    route("GET", "/staff/login", None),
    route("POST", "/staff/login", None),
    route("POST", "/staff/logout", VIEWER),
    route("GET", "/staff", VIEWER),
    route("GET", "/staff/links/{link_id}", VIEWER),
    route("POST", "/staff/links/{link_id}/approve", REVIEWER),
    route("POST", "/staff/links/{link_id}/reject", REVIEWER),
    route("POST", "/staff/links/{link_id}/unlock", REVIEWER),
    route("POST", "/staff/links/{link_id}/unlink", REVIEWER),
    route("GET", "/staff/admin", ADMIN),
    route("POST", "/staff/admin/staff", ADMIN),
    route("POST", "/staff/admin/staff/{username}/role", ADMIN),
    route("POST", "/staff/admin/staff/{username}/disable", ADMIN),
    route("POST", "/staff/admin/staff/{username}/enable", ADMIN),
    route("POST", "/staff/admin/keys", ADMIN),
    route("POST", "/staff/admin/keys/{key_id}/revoke", ADMIN),
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/staff/login", "GET, POST")
            .route(web::get().to(login::show))
            .route(web::post().to(login::submit)),
    )
    .service(resource("/staff/logout", "POST").route(web::post().to(login::logout)))
    .service(resource("/staff", "GET").route(web::get().to(queue::show)))
    .service(resource("/staff/links/{link_id}", "GET").route(web::get().to(link::show)))
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
    // Any other /staff address: the sign-in page for strangers, "not found" for staff.
    .service(web::resource("/staff/{rest:.*}").to(pages::unknown));
}
