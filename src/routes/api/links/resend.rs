use super::{LinkView, load};
use crate::http::Problem;
use crate::http::RequestError;
use crate::routes::api::auth::LinkCaller;
use crate::routes::api::write::{Bodiless, Write};
use crate::services::links::LinkService;
use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret;

/// Ask Wise to email the customer a new code (API key, or the link's session token).
///
/// At least a minute apart and at most five times a day (`[links]` in the configuration). The link
/// gets a new code window and its attempts again; a code already sent to Wise stays refused. For an `expired` link (partner
/// API key) the answer carries a new `link_session_token`.
#[utoipa::path(
    post,
    path = "/v1/links/{link_id}/resend",
    tag = "links",
    params(
        ("link_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and request replay the first answer (1–255 visible ASCII characters; scoped to the API key, or to the link for a session token)"),
    ),
    responses(
        (status = 400, description = "Malformed Idempotency-Key (`invalid_idempotency_key`)"),
        (status = 200, description = "Wise was asked to send a new code", body = LinkView),
        (status = 409, description = "The link is not waiting for a code"),
        (status = 429, description = "`resend_too_soon`, `resend_limit_reached`, `rate_limited` (with Retry-After) or `locked`"),
        (status = 503, description = "Wise unavailable"),
    ),
    security(("api_key" = []), ("link_session" = []))
)]
#[tracing::instrument(name = "resend", skip_all, fields(link.id = %path))]
pub async fn resend(
    write: Write<LinkCaller, Bodiless>,
    path: web::Path<String>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, RequestError> {
    write.run(resend_code(&links, &write.caller, &path)).await
}

async fn resend_code(
    links: &LinkService,
    caller: &LinkCaller,
    path: &str,
) -> Result<HttpResponse, Problem> {
    let link = load(links, caller, path).await?;
    let resent = links.resend(link, &caller.actor()).await?;
    let mut body = LinkView::new(&links.with_customer(resent.link).await?, links.policy());
    body.link_session_token = resent
        .session_token
        .map(|s| s.token.expose_secret().to_owned());
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}
