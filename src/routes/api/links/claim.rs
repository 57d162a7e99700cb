use super::load;
use crate::http::Problem;
use crate::routes::api::auth::LinkCaller;
use crate::services::links::LinkService;
use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

/// Where to send a partner-created customer to claim their Wise account.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimView {
    /// Wise's authorization page with a one-time `state` and a `claim_account_code`. Open it in
    /// the system browser; the customer comes back through `GET /oauth/callback`.
    pub url: String,
    /// Until when `url` works: Wise's claim code lives 5 minutes. Ask again for a new one.
    pub expires_at: String,
}

/// Let a customer whose Wise account the partner created claim it.
///
/// For an `active` link with `origin: created`, not claimed yet: wiselink asks Wise for a claim
/// code and answers with the authorization URL carrying it. On Wise's page the customer sets a
/// password, reviews the details and authorises the partner; when the trip comes back, the link
/// holds the authorization-code tokens, records `claimed_at`, and its registration code is
/// destroyed. Each call asks Wise for a new code.
#[utoipa::path(
    post,
    path = "/v1/links/{link_id}/claim",
    tag = "links",
    params(("link_id" = String, Path)),
    responses(
        (status = 200, description = "The claim trip", body = ClaimView),
        (status = 409, description = "`not_claimable`: not active, not partner-created, or already claimed; or `relink_required`"),
        (status = 503, description = "Wise unavailable"),
    ),
    security(("api_key" = []), ("link_session" = []))
)]
#[tracing::instrument(name = "claim_account", skip_all, fields(link.id = %path))]
pub async fn claim(
    caller: LinkCaller,
    path: web::Path<String>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, Problem> {
    let link = load(&links, &caller, &path).await?;
    let trip = links.claim(&link.id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ClaimView {
            url: trip.url.expose_secret().to_owned(),
            expires_at: crate::routes::api::customers::timestamp(trip.expires_at),
        }))
}
