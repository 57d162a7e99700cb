use super::error::LinkApiError;
use crate::http::Problem;
use crate::http::auth::ApiKeyAuth;
use crate::routes::api::customers::timestamp;
use crate::services::links;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

/// A Wise access token for the partner's backend.
#[derive(Serialize, ToSchema)]
pub struct AccessTokenView {
    access_token: String,
    expires_at: String,
    profile_id: Option<i64>,
}

/// Get a valid Wise access token for an active link (partner API key only).
///
/// Refreshed first when it expires within five minutes. Links in any other state are refused:
/// `needs_review` tokens stay sealed until staff approve.
#[utoipa::path(
    post,
    path = "/v1/links/{link_id}/access-token",
    tag = "links",
    params(("link_id" = String, Path)),
    responses(
        (status = 200, body = AccessTokenView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The link is not active, or Wise revoked access (`relink_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Wise unavailable while refreshing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "access_token", skip_all, fields(link.id = %path))]
pub async fn access_token(
    _auth: ApiKeyAuth,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, LinkApiError> {
    let (token, expires_at, profile_id) = links::access_token(&state, &path).await?;
    let body = AccessTokenView {
        access_token: token.expose_secret().to_owned(),
        expires_at: timestamp(expires_at),
        profile_id,
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}
