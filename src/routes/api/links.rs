//! `/v1/links`: start a link, read it, submit the customer's code, get access tokens, read the
//! audit trail.

mod access_token;
mod authorization;
mod authorization_url;
mod claim;
mod code;
mod decide;
mod events;
mod get;
mod import;
mod list;
mod relink;
mod resend;
mod start;
mod unlink;
mod view;

pub use access_token::{__path_access_token, AccessTokenView};
pub use authorization::{__path_authorization, AuthorizationInput};
pub use authorization_url::{__path_authorization_url, AuthorizationUrlView};
pub use claim::{__path_claim, ClaimView};
pub use code::{__path_submit_code, CodeInput};
pub use decide::{__path_approve, __path_reject, DecisionInput};
pub use events::{__path_list_events, EventView};
pub use get::__path_get_link;
pub use import::{__path_import_links, ImportEnd, ImportRowInput};
pub use list::{__path_list_links, LinkPage};
pub use relink::{__path_relink, RelinkInput};
pub use resend::__path_resend;
pub use start::{__path_start_link, StartInput};
pub use unlink::__path_unlink;
pub use view::{LinkView, NextAction};

use crate::domain::LinkId;
use crate::http::Problem;
use crate::http::RequestError;
use crate::http::rate_limit::IpLimiter;
use crate::routes::api::auth::LinkCaller;
use crate::services::links::{LinkError, LinkService};
use actix_web::{HttpRequest, web};

/// Counts a request from an app or browser (link session) against its IP's limit, for the one
/// link call that is not a write (writes go through `Write`). The partner's own calls (API key)
/// all come from its servers and are not counted.
async fn limit_ip(
    req: &HttpRequest,
    limiter: &IpLimiter,
    caller: &LinkCaller,
) -> Result<(), RequestError> {
    if !matches!(caller, LinkCaller::Session { .. }) {
        return Ok(());
    }
    limiter
        .check_request(req)
        .await
        .map_err(|retry_after_secs| RequestError::IpLimited { retry_after_secs })
}

/// The link id in the path. Anything that cannot be a link id is simply not found.
fn link_id(raw: &str) -> Result<LinkId, LinkError> {
    LinkId::parse(raw).ok_or(LinkError::LinkNotFound)
}

/// Loads a link the caller may see; any other id is simply not found. A session caller's link
/// was already read while authenticating.
async fn load(
    links: &LinkService,
    caller: &LinkCaller,
    raw_id: &str,
) -> Result<crate::db::links::LinkRow, Problem> {
    let id = link_id(raw_id)?;
    if !caller.may_access(&id) {
        return Err(LinkError::LinkNotFound.into());
    }
    if let Some(link) = caller.session_link(&id) {
        return Ok(link.clone());
    }
    Ok(links.find(&id).await?)
}

/// The access token first: the partner's backend asks for it before each call to Wise, and the
/// router tries resources in the order they are registered (a regex match for each one with a
/// path parameter).
pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::routes::resource;
    cfg.service(
        resource("/v1/links/{link_id}/access-token", "POST")
            .route(web::post().to(access_token::access_token)),
    )
    .service(
        resource("/v1/links", "POST, GET")
            .route(web::post().to(start::start_link))
            .route(web::get().to(list::list_links)),
    )
    .service(resource("/v1/links/import", "POST").route(web::post().to(import::import_links)))
    .service(
        resource("/v1/links/{link_id}", "GET, DELETE")
            .route(web::get().to(get::get_link))
            .route(web::delete().to(unlink::unlink)),
    )
    .service(resource("/v1/links/{link_id}/code", "POST").route(web::post().to(code::submit_code)))
    .service(
        resource("/v1/links/{link_id}/authorization", "POST")
            .route(web::post().to(authorization::authorization)),
    )
    .service(
        resource("/v1/links/{link_id}/authorization-url", "POST")
            .route(web::post().to(authorization_url::authorization_url)),
    )
    .service(resource("/v1/links/{link_id}/claim", "POST").route(web::post().to(claim::claim)))
    .service(resource("/v1/links/{link_id}/relink", "POST").route(web::post().to(relink::relink)))
    .service(resource("/v1/links/{link_id}/resend", "POST").route(web::post().to(resend::resend)))
    .service(resource("/v1/links/{link_id}/approve", "POST").route(web::post().to(decide::approve)))
    .service(resource("/v1/links/{link_id}/reject", "POST").route(web::post().to(decide::reject)))
    .service(
        resource("/v1/links/{link_id}/events", "GET").route(web::get().to(events::list_events)),
    );
}
