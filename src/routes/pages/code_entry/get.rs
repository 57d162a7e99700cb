use super::{CodePage, closed, page_locale, unavailable};
use crate::routes::link_errors;
use crate::services::links::{LinkError, LinkService};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

#[tracing::instrument(name = "code_page", skip_all)]
pub async fn show(
    path: web::Path<String>,
    req: HttpRequest,
    links: web::Data<LinkService>,
) -> HttpResponse {
    match links.show_page(&path).await {
        Ok(Some((link, customer))) => {
            CodePage::of(&link, &links, page_locale(&req, customer)).respond(StatusCode::OK)
        }
        Ok(None) => closed(&req, &links),
        Err(e) => unavailable(&req, &links, &link_errors::problem(&LinkError::Db(e))),
    }
}
