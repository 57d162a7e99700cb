use super::LinkView;
use crate::db::links::ListFilter;
use crate::domain::{CustomerRef, LinkId, LinkState, is_link_reason};
use crate::http::{FieldError, Problem};
use crate::routes::api::auth::ApiKeyAuth;
use crate::services::links::LinkService;
use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

/// One page of links, newest first.
#[derive(Serialize, ToSchema)]
pub struct LinkPage {
    items: Vec<LinkView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    next_cursor: Option<String>,
}

/// List links, newest first (partner API key only).
#[utoipa::path(
    get,
    path = "/v1/links",
    tag = "links",
    params(
        ("customer_ref" = Option<String>, Query, description = "Only this customer's links"),
        ("state" = Option<String>, Query, description = "Only links in this state"),
        ("reason" = Option<String>, Query, description = "Only links whose `reason` is this (the closed list in docs/linking.md), e.g. `access_revoked`"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<i64>, Query, description = "1–200, default 50"),
    ),
    responses(
        (status = 200, body = LinkPage),
        (status = 422, description = "Invalid filter or cursor"),
    ),
    security(("api_key" = []))
)]
pub async fn list_links(
    _auth: ApiKeyAuth,
    query: web::Query<HashMap<String, String>>,
    links: web::Data<LinkService>,
) -> Result<HttpResponse, Problem> {
    let filter = parse(&query).map_err(Problem::validation)?;
    let limit = filter.limit;
    let mut rows = links
        .list(ListFilter {
            limit: limit + 1,
            ..filter
        })
        .await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = has_more
        .then(|| rows.last().map(|l| cursor(l.link.created_at, &l.link.id)))
        .flatten();
    let items = rows
        .iter()
        .map(|of| LinkView::new(of, links.policy()))
        .collect();
    Ok(HttpResponse::Ok().json(LinkPage { items, next_cursor }))
}

fn parse(query: &HashMap<String, String>) -> Result<ListFilter, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut filter = ListFilter {
        customer_ref: None,
        state: None,
        reason: None,
        after: None,
        limit: DEFAULT_LIMIT,
    };
    for (key, value) in query {
        match key.as_str() {
            "customer_ref" => match CustomerRef::parse(value) {
                Ok(r) => filter.customer_ref = Some(r.to_string()),
                Err(e) => errors.push(FieldError::new("customer_ref", e.code, &e.message)),
            },
            "state" => match LinkState::parse(value) {
                Some(s) => filter.state = Some(s),
                None => errors.push(FieldError::new(
                    "state",
                    "unknown_state",
                    "state is not a link state",
                )),
            },
            "reason" if is_link_reason(value) => filter.reason = Some(value.clone()),
            "reason" => errors.push(FieldError::new(
                "reason",
                "unknown_reason",
                "reason is not one a link can carry",
            )),
            "cursor" => match uncursor(value) {
                Some(after) => filter.after = Some(after),
                None => errors.push(FieldError::new(
                    "cursor",
                    "invalid_cursor",
                    "cursor is not one this API returned",
                )),
            },
            "limit" => match value.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => filter.limit = n,
                _ => errors.push(FieldError::new(
                    "limit",
                    "out_of_range",
                    "limit must be 1 to 200",
                )),
            },
            other => errors.push(FieldError::new(
                other,
                "unknown_parameter",
                "not a known query parameter",
            )),
        }
    }
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(errors)
    }
}

fn cursor(created_at: chrono::NaiveDateTime, id: &LinkId) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", created_at.and_utc().timestamp_micros()))
}

fn uncursor(raw: &str) -> Option<(chrono::NaiveDateTime, LinkId)> {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
    let (micros, id) = decoded.split_once(':')?;
    let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
    Some((at, LinkId::parse(id)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let at = DateTime::from_timestamp_micros(1_763_779_200_123_456)
            .unwrap()
            .naive_utc();
        let id = LinkId::generate();
        let c = cursor(at, &id);
        assert_eq!(uncursor(&c), Some((at, id)));
        for bad in [
            "",
            "!!!",
            &URL_SAFE_NO_PAD.encode("x:lnk_a"),
            &URL_SAFE_NO_PAD.encode("1:other"),
        ] {
            assert_eq!(uncursor(bad), None, "{bad}");
        }
    }
}
