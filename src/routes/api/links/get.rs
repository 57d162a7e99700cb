use super::LinkView;
use super::error::LinkApiError;
use crate::db::customers;
use crate::http::Problem;
use crate::http::auth::LinkCaller;
use crate::services::links::{self, LinkError};
use crate::state::AppState;
use actix_web::{HttpResponse, web};

/// Loads a link the caller may see; any other id is simply not found.
pub async fn load(
    state: &AppState,
    caller: &LinkCaller,
    id: &str,
) -> Result<crate::db::links::LinkRow, LinkApiError> {
    if !caller.may_access(id) {
        return Err(LinkError::LinkNotFound.into());
    }
    if let Some(link) = caller.session_link(id) {
        return Ok(link.clone());
    }
    Ok(links::find(state, id).await?)
}

pub async fn view(
    state: &AppState,
    link: &crate::db::links::LinkRow,
) -> Result<LinkView, LinkApiError> {
    let customer_id = link.customer_id;
    let customer = state
        .db
        .run(move |conn| customers::find_by_id(conn, customer_id))
        .await
        .map_err(LinkError::from)?
        .ok_or(LinkError::CustomerNotFound)?;
    Ok(LinkView::new(link, customer.customer_ref))
}

/// Read a link (API key, or the link's session token).
#[utoipa::path(
    get,
    path = "/v1/links/{link_id}",
    tag = "links",
    params(("link_id" = String, Path)),
    responses(
        (status = 200, body = LinkView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("link_session" = []))
)]
#[tracing::instrument(name = "get_link", skip_all)]
pub async fn get_link(
    caller: LinkCaller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, LinkApiError> {
    let link = load(&state, &caller, &path).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(view(&state, &link).await?))
}
