use super::{LinkView, load};
use crate::http::Problem;
use crate::routes::api::auth::LinkCaller;
use crate::services::links::LinkService;
use actix_web::{HttpResponse, web};

/// Read a link (API key, or the link's session token).
#[utoipa::path(
    get,
    path = "/v1/links/{link_id}",
    tag = "links",
    params(("link_id" = String, Path)),
    responses(
        (status = 200, body = LinkView),
        (status = 401),
        (status = 404),
    ),
    security(("api_key" = []), ("link_session" = []))
)]
#[tracing::instrument(name = "get_link", skip_all)]
pub async fn get_link(
    caller: LinkCaller,
    path: web::Path<String>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, Problem> {
    let link = load(&links, &caller, &path).await?;
    let view = LinkView::new(&links.with_customer(link).await?, links.policy());
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(view))
}
