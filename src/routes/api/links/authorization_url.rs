use super::{limit_ip, load};
use crate::http::Problem;
use crate::http::rate_limit::IpLimiter;
use crate::routes::api::auth::LinkCaller;
use crate::routes::api::customers::timestamp;
use crate::services::links::LinkService;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

/// Where to send the customer to give consent on Wise's page.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizationUrlView {
    /// Wise's authorization page with a new one-time `state`. Open it in the system browser
    /// (never a web view); the app gets `code` and `state` back on its `redirect_uri`.
    pub url: String,
    /// Until when `url` works (its state lives 10 minutes). Ask again for a new one.
    pub expires_at: String,
}

/// Get a new authorization URL for a link awaiting authorization (redirect flow).
///
/// For a native app whose earlier URL can no longer be used: its state expired (10 minutes),
/// the customer declined, or Wise refused or lost the code it returned. Each call issues a new
/// one-time state, bound to no browser; earlier ones stay valid until used or expired. Nothing is
/// sent to Wise.
#[utoipa::path(
    post,
    path = "/v1/links/{link_id}/authorization-url",
    tag = "links",
    params(("link_id" = String, Path)),
    responses(
        (status = 200, description = "The trip to Wise's page", body = AuthorizationUrlView),
        (status = 409, description = "`invalid_state`: the link is not awaiting authorization"),
        (status = 410, description = "`code_expired`: the link's window closed; start a new link"),
        (status = 429, description = "`rate_limited`: too many requests from the caller's IP (link session callers)"),
    ),
    security(("api_key" = []), ("link_session" = []))
)]
#[tracing::instrument(name = "authorization_url", skip_all, fields(link.id = %path))]
pub async fn authorization_url(
    caller: LinkCaller,
    path: web::Path<String>,
    req: HttpRequest,
    limiter: web::Data<IpLimiter>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, Problem> {
    limit_ip(&req, &limiter, &caller).await?;
    let link = load(&links, &caller, &path).await?;
    let trip = links.authorization_url(&link).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .json(AuthorizationUrlView {
            url: trip.url.expose_secret().to_owned(),
            expires_at: timestamp(trip.expires_at),
        }))
}
