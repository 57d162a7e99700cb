use super::LinkView;
use crate::http::Problem;
use crate::http::RequestError;
use crate::routes::api::auth::ApiKeyAuth;
use crate::routes::api::write::{Bodiless, Write};
use crate::services::links::LinkService;
use actix_web::{HttpResponse, web};

/// Unlink (partner API key only): the tokens and the registration code are destroyed and the link
/// becomes `unlinked`. Not possible while a code is being exchanged or verified. The link itself
/// is not deleted: `GET /v1/links/{link_id}` and its events stay readable, as the record of what
/// happened, with `state: unlinked`.
#[utoipa::path(
    delete,
    path = "/v1/links/{link_id}",
    tag = "links",
    params(
        ("link_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and request replay the first answer (1–255 visible ASCII characters; scoped to the API key, or to the link for a session token)"),
    ),
    responses(
        (status = 400, description = "Malformed Idempotency-Key (`invalid_idempotency_key`)"),
        (status = 200, description = "Unlinked", body = LinkView),
        (status = 404),
        (status = 409, description = "Already final, or mid-exchange"),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(name = "unlink", skip_all, fields(link.id = %path))]
pub async fn unlink(
    write: Write<ApiKeyAuth, Bodiless>,
    path: web::Path<String>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, RequestError> {
    let actor = write.caller.actor();
    write.run(unlink_link(&links, &path, &actor)).await
}

async fn unlink_link(
    links: &LinkService,
    path: &str,
    actor: &str,
) -> Result<HttpResponse, Problem> {
    let link = links.unlink(&super::link_id(path)?, actor).await?;
    let view = LinkView::new(&links.with_customer(link).await?, links.policy());
    Ok(HttpResponse::Ok().json(view))
}
