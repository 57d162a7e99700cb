use super::{CodePage, closed, unavailable};
use crate::routes::link_errors;
use crate::services::links::{LinkError, LinkService};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

#[tracing::instrument(name = "code_page", skip_all)]
pub async fn show(path: web::Path<String>, links: web::Data<LinkService>) -> HttpResponse {
    match links.open_session(&path).await {
        Ok(Some(link)) => CodePage::of(&link, &links).respond(StatusCode::OK),
        Ok(None) => closed(),
        Err(e) => unavailable(&link_errors::problem(&LinkError::Db(e))),
    }
}
