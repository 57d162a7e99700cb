//! `GET /staff`: the review queue, one tab per state with its count; filter by the date the link
//! entered the state, search by customer reference or exact email, keyset pages.

use super::gate::{AnyStaff, Signed};
use super::pages::{self, Chrome, ERASED, Page};
use crate::db::links::{QUEUE_STATES, QueueFilter, QueueItem, oldest_first};
use crate::domain::{LinkId, LinkState, mask_email};
use crate::services::links::LinkService;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

const PAGE_SIZE: i64 = 25;

#[derive(Deserialize)]
pub struct Query {
    state: Option<String>,
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
}

struct Tab {
    state: &'static str,
    label: &'static str,
    count: i64,
    current: bool,
}

struct Item {
    id: String,
    customer_ref: String,
    email: String,
    why: String,
    age: String,
}

#[derive(Template)]
#[template(path = "staff/queue.html")]
struct QueuePage {
    chrome: Option<Chrome>,
    error: Option<String>,
    notice: Option<String>,
    tabs: Vec<Tab>,
    state: &'static str,
    search: String,
    from: String,
    to: String,
    filtered: bool,
    caption: String,
    age_heading: &'static str,
    items: Vec<Item>,
    next_page: Option<String>,
}

pub fn label(state: LinkState) -> &'static str {
    match state {
        LinkState::NeedsReview => "Needs review",
        LinkState::Locked => "Locked",
        LinkState::Rejected => "Rejected",
        LinkState::RelinkRequired => "Relink required",
        LinkState::Active => "Active",
        LinkState::Unlinked => "Unlinked",
        LinkState::Expired => "Expired",
        LinkState::AwaitingCode => "Awaiting code",
        LinkState::AwaitingAuthorization => "Awaiting authorization",
        LinkState::Pending => "Pending",
        LinkState::Exchanging => "Exchanging the code",
        LinkState::Verifying => "Verifying",
    }
}

/// Why a link is in its queue, in a few words.
pub fn why(link: &crate::db::links::LinkRow) -> String {
    match (link.state, link.review_reason) {
        (LinkState::Locked, _) => "too many wrong codes".to_owned(),
        (LinkState::RelinkRequired, _) => "Wise revoked access".to_owned(),
        (_, Some(reason)) => reason.describe().to_owned(),
        (LinkState::Rejected, None) => "rejected".to_owned(),
        _ => String::new(),
    }
}

pub async fn show(
    signed: Signed<AnyStaff>,
    req: HttpRequest,
    links: web::Data<LinkService>,
) -> HttpResponse {
    let session = signed.session;
    let chrome = Page::chrome(&session);
    // Read here rather than by the extractor, so a query the page cannot read (a filter given
    // twice) gets this page's answer rather than a plain-text error.
    let query = match web::Query::<Query>::from_query(req.query_string()) {
        Ok(q) => q.into_inner(),
        Err(_) => {
            return pages::message(
                StatusCode::BAD_REQUEST,
                Some(chrome),
                "Filter not valid",
                "Choose one state and one search at a time.",
            );
        }
    };
    let filter = match parse(&query) {
        Ok(f) => f,
        Err(message) => {
            return pages::message(
                StatusCode::BAD_REQUEST,
                Some(chrome),
                "Filter not valid",
                message,
            );
        }
    };
    let shown = filter.state;
    let (counts, _) = match links.queue_depth().await {
        Ok(depth) => depth,
        Err(e) => return failed(&e),
    };
    let rows = match links.queue(filter).await {
        Ok(rows) => rows,
        Err(e) => return failed(&e),
    };
    let now = links.clock().now();
    let more = rows.len() as i64 > PAGE_SIZE;
    let rows: Vec<QueueItem> = rows.into_iter().take(PAGE_SIZE as usize).collect();
    let next_page = more.then(|| {
        let last = &rows[rows.len() - 1].link;
        next_url(&query, shown, last.updated_at, &last.id)
    });
    let unmasked = session.role.sees_personal_data();
    let items = rows
        .iter()
        .map(|r| Item {
            id: r.link.id.to_string(),
            customer_ref: r.customer_ref.clone(),
            email: match &r.customer_email {
                Some(email) if unmasked => email.clone(),
                Some(email) => mask_email(email),
                None => ERASED.to_owned(),
            },
            why: why(&r.link),
            age: pages::age(r.link.updated_at, now),
        })
        .collect();
    let page = QueuePage {
        chrome: Some(chrome),
        error: None,
        notice: None,
        tabs: counts
            .iter()
            .map(|(s, n)| Tab {
                state: s.as_str(),
                label: label(*s),
                count: *n,
                current: *s == shown,
            })
            .collect(),
        state: shown.as_str(),
        search: query.q.clone().unwrap_or_default(),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        filtered: query.q.is_some() || query.from.is_some() || query.to.is_some(),
        caption: format!(
            "{}, {}",
            label(shown),
            if oldest_first(shown) {
                "oldest first"
            } else {
                "newest first"
            }
        ),
        age_heading: if oldest_first(shown) {
            "Waiting"
        } else {
            "Since"
        },
        items,
        next_page,
    };
    pages::render(StatusCode::OK, &page)
}

fn failed(e: &crate::services::links::LinkError) -> HttpResponse {
    tracing::error!(error = %e, "review queue could not be read");
    pages::unavailable()
}

fn parse(q: &Query) -> Result<QueueFilter, &'static str> {
    let state = match q.state.as_deref().filter(|s| !s.is_empty()) {
        None => LinkState::NeedsReview,
        Some(raw) => LinkState::parse(raw)
            .filter(|s| QUEUE_STATES.contains(s))
            .ok_or("The queue shows needs_review, locked, rejected or relink_required.")?,
    };
    let day = |raw: &Option<String>| -> Result<Option<NaiveDateTime>, &'static str> {
        match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0))
                .map_err(|_| "Dates are written YYYY-MM-DD."),
        }
    };
    let since = day(&q.from)?;
    // "Until" includes the whole day.
    let until = day(&q.to)?.map(|t| t + chrono::Duration::days(1));
    let search =
        q.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
    if search.as_ref().is_some_and(|s| s.len() > 254) {
        return Err("The search is too long.");
    }
    let after = match q.after.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(cursor(raw).ok_or("That page no longer exists: start again.")?),
    };
    Ok(QueueFilter {
        state,
        since,
        until,
        search,
        after,
        limit: PAGE_SIZE + 1,
    })
}

/// `<microseconds since the epoch>.<link id>`.
fn cursor(raw: &str) -> Option<(NaiveDateTime, LinkId)> {
    let (micros, id) = raw.split_once('.')?;
    let at = chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
    Some((at, LinkId::parse(id)?))
}

fn next_url(q: &Query, state: LinkState, at: NaiveDateTime, id: &LinkId) -> String {
    let mut params = vec![
        ("state", state.as_str().to_owned()),
        (
            "after",
            format!("{}.{}", at.and_utc().timestamp_micros(), id),
        ),
    ];
    for (name, value) in [("q", &q.q), ("from", &q.from), ("to", &q.to)] {
        if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
            params.push((name, v.clone()));
        }
    }
    format!(
        "/staff?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}
