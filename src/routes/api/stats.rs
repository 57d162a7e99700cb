//! `GET /v1/stats`: the linking funnel as JSON, the figures of the staff Insights page.

use crate::http::{FieldError, Problem};
use crate::routes::api::auth::ApiKeyAuth;
use crate::services::links::LinkService;
use crate::services::stats::{self, Granularity, MAX_DAYS, Span, SpanError, Stats};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(crate::routes::resource("/v1/stats", "GET").route(web::get().to(get_stats)));
}

/// The linking funnel (partner API key).
///
/// Per day or ISO week (Monday first) of the span, in UTC: links started, the steps they reached
/// (each attempt counts once per step; a re-link is a new attempt), split by flow and by the
/// customer's language, and what the refresher met. Over the span: the totals and how long links
/// took from start to `active`. The review queue is as it stands now. Counts are kept by the
/// transactions that write link events, so they are exact and current.
#[utoipa::path(
    get,
    path = "/v1/stats",
    tag = "insights",
    params(
        ("from" = Option<String>, Query, format = Date, description = "First day, YYYY-MM-DD (default: 29 days before `to`)"),
        ("to" = Option<String>, Query, format = Date, description = "Last day, YYYY-MM-DD (default: today, UTC)"),
        ("granularity" = Option<String>, Query, description = "`day` (default) or `week`"),
    ),
    responses(
        (status = 200, body = Stats),
        (status = 422, description = "`invalid_date`, `invalid_granularity`, `unknown_parameter`, or `out_of_range` (`from` after `to`, or a span over 731 days)"),
    ),
    security(("api_key" = []))
)]
pub async fn get_stats(
    _auth: ApiKeyAuth,
    query: web::Query<HashMap<String, String>>,
    state: web::Data<AppState>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, Problem> {
    let now = links.clock().now();
    let span = parse(&query, now.date()).map_err(Problem::validation)?;
    let stats = stats::read(&state.db, span, now).await?;
    Ok(HttpResponse::Ok().json(stats))
}

/// Reads `from`, `to` and `granularity`, the way the staff page reads its form too.
pub fn parse(query: &HashMap<String, String>, today: NaiveDate) -> Result<Span, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut from = None;
    let mut to = None;
    let mut granularity = Granularity::Day;
    for (key, value) in query {
        match key.as_str() {
            "from" | "to" => match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
                Ok(d) if !(1970..=9999).contains(&d.year()) => errors.push(FieldError::new(
                    key,
                    "invalid_date",
                    "a date is between 1970 and 9999",
                )),
                Ok(d) if key == "from" => from = Some(d),
                Ok(d) => to = Some(d),
                Err(_) => errors.push(FieldError::new(
                    key,
                    "invalid_date",
                    "a date is written YYYY-MM-DD",
                )),
            },
            "granularity" => match Granularity::parse(value) {
                Some(g) => granularity = g,
                None => errors.push(FieldError::new(
                    "granularity",
                    "invalid_granularity",
                    "granularity is day or week",
                )),
            },
            other => errors.push(FieldError::new(
                other,
                "unknown_parameter",
                "not a known query parameter",
            )),
        }
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(errors);
    }
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| Span::recent(to).from);
    Span::new(from, to, granularity).map_err(|e| {
        let message = match e {
            SpanError::Reversed => "from is after to".to_owned(),
            SpanError::TooLong => format!("a span is at most {MAX_DAYS} days"),
        };
        vec![FieldError::new("from", "out_of_range", &message)]
    })
}
