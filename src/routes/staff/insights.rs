//! `GET /staff/insights`: the linking funnel for every staff role — where customers drop out, per
//! day or week, by flow and language, how long linking takes, the review queue and refresh health.
//! The figures of `GET /v1/stats`, drawn on the server as SVG with a table beside each chart.

mod charts;
mod view;
mod words;

use super::gate::{AnyStaff, Signed};
use super::pages::{self, Page};
use crate::routes::api::stats::parse;
use crate::services::links::LinkService;
use crate::services::stats;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::HashMap;

pub async fn show(
    signed: Signed<AnyStaff>,
    req: HttpRequest,
    state: web::Data<AppState>,
    links: web::Data<LinkService>,
) -> HttpResponse {
    let chrome = Page::chrome(&signed.session);
    let now = links.clock().now();
    // An empty field of the form means "the default", as an absent one does.
    let query: HashMap<String, String> =
        match web::Query::<Vec<(String, String)>>::from_query(req.query_string()) {
            Ok(q) => q
                .into_inner()
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .collect(),
            Err(_) => HashMap::from([("?".to_owned(), String::new())]),
        };
    let span = match parse(&query, now.date()) {
        Ok(span) => span,
        Err(_) => {
            return pages::message(
                StatusCode::BAD_REQUEST,
                Some(chrome),
                "Dates not valid",
                "Dates are written YYYY-MM-DD, the first no later than the last, at most two years apart; periods are days or weeks.",
            );
        }
    };
    match stats::read(&state.db, span, now).await {
        Ok(figures) => pages::render(StatusCode::OK, &view::page(chrome, &figures)),
        Err(e) => {
            tracing::error!(error = %e, "insights could not be read");
            pages::unavailable()
        }
    }
}
