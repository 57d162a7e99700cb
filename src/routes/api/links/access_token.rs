use crate::domain::WiseProfileId;
use crate::http::Problem;
use crate::routes::api::auth::ApiKeyAuth;
use crate::routes::api::customers::timestamp;
use crate::services::links::LinkService;
use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

/// A Wise access token for the partner's backend.
#[derive(Serialize, ToSchema)]
pub struct AccessTokenView {
    access_token: String,
    /// Until when the token may be used: nobody replaces it (a refresh ends the previous access
    /// token at Wise) before then. Cache it until this moment, then ask again.
    expires_at: String,
    #[schema(value_type = Option<i64>)]
    profile_id: Option<WiseProfileId>,
}

/// Get a valid Wise access token for an active link (partner API key only).
///
/// The stored token is handed out until the moment it may be replaced (the refresher's next
/// renewal, or `tokens.hand_out_margin_secs` before Wise's expiry); from then on it is refreshed
/// first, once however many callers ask. Links in any other state are refused: `needs_review`
/// tokens stay sealed until staff approve.
#[utoipa::path(
    post,
    path = "/v1/links/{link_id}/access-token",
    tag = "links",
    params(("link_id" = String, Path)),
    responses(
        (status = 200, body = AccessTokenView),
        (status = 404),
        (status = 409, description = "The link is not active, or Wise revoked access (`relink_required`)"),
        (status = 503, description = "Wise unavailable while refreshing"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "access_token", skip_all, fields(link.id = %path))]
pub async fn access_token(
    _auth: ApiKeyAuth,
    path: web::Path<String>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, Problem> {
    let token = links.access_token(&super::link_id(&path)?).await?;
    let body = AccessTokenView {
        access_token: token.token.expose_secret().to_owned(),
        expires_at: timestamp(token.expires_at),
        profile_id: token.profile_id,
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}
