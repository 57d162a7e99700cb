//! The staff review queue: links waiting for a decision (`needs_review`, `locked`), oldest first,
//! and recent failures (`rejected`, `relink_required`), newest first; counted per state, filtered
//! by the time they entered it, searched by customer reference or exact email, paged by keyset
//! (`updated_at`, `id`) over the `links_queue` index.

use super::LinkRow;
use super::row::{LINK_COLUMNS, linked};
use crate::db::schema::{customers, links, outbox};
use crate::db::{DbConnection, DbError};
use crate::domain::{LinkId, LinkState};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The states the queue shows, in its order.
pub const QUEUE_STATES: [LinkState; 4] = [
    LinkState::NeedsReview,
    LinkState::Locked,
    LinkState::Rejected,
    LinkState::RelinkRequired,
];

/// Whether a queue state lists its oldest links first (they wait for someone) or its newest.
pub fn oldest_first(state: LinkState) -> bool {
    matches!(state, LinkState::NeedsReview | LinkState::Locked)
}

pub struct QueueFilter {
    pub state: LinkState,
    /// Only links that entered the state at or after / before these times.
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    /// A customer reference or the customer's email, exact (`customers_email` and the customer
    /// reference's unique index find them).
    pub search: Option<String>,
    /// `(updated_at, id)` of the last link already shown.
    pub after: Option<(NaiveDateTime, LinkId)>,
    pub limit: i64,
}

/// One line of the queue.
pub struct QueueItem {
    pub link: LinkRow,
    pub customer_ref: String,
    /// `None` once the customer was erased.
    pub customer_email: Option<String>,
}

pub fn queue(conn: &mut DbConnection, f: &QueueFilter) -> Result<Vec<QueueItem>, DbError> {
    let mut query = linked()
        .inner_join(customers::table)
        .select((LINK_COLUMNS, customers::customer_ref, customers::email))
        .filter(links::state.eq(f.state.as_str()))
        .into_boxed();
    if let Some(since) = f.since {
        query = query.filter(links::updated_at.ge(since));
    }
    if let Some(until) = f.until {
        query = query.filter(links::updated_at.lt(until));
    }
    if let Some(search) = &f.search {
        query = if search.contains('@') {
            query.filter(customers::email.eq(search.clone()))
        } else {
            query.filter(customers::customer_ref.eq(search.clone()))
        };
    }
    let ascending = oldest_first(f.state);
    // `updated_at >= at` bounds the index range where the page starts; the rest breaks the tie.
    if let Some((at, id)) = &f.after {
        query = if ascending {
            query
                .filter(links::updated_at.ge(*at))
                .filter(links::updated_at.gt(*at).or(links::id.gt(id.clone())))
        } else {
            query
                .filter(links::updated_at.le(*at))
                .filter(links::updated_at.lt(*at).or(links::id.lt(id.clone())))
        };
    }
    query = if ascending {
        query.order((links::updated_at.asc(), links::id.asc()))
    } else {
        query.order((links::updated_at.desc(), links::id.desc()))
    };
    Ok(query
        .limit(f.limit)
        .load::<(LinkRow, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(link, customer_ref, customer_email)| QueueItem {
            link,
            customer_ref,
            customer_email,
        })
        .collect())
}

/// How many links are in each queue state.
pub fn queue_counts(conn: &mut DbConnection) -> Result<Vec<(LinkState, i64)>, DbError> {
    let mut out = Vec::new();
    for state in QUEUE_STATES {
        let n = links::table
            .filter(links::state.eq(state.as_str()))
            .count()
            .get_result::<i64>(conn)?;
        out.push((state, n));
    }
    Ok(out)
}

/// When the longest-waiting `needs_review` link entered review.
pub fn oldest_in_review(conn: &mut DbConnection) -> Result<Option<NaiveDateTime>, DbError> {
    Ok(links::table
        .filter(links::state.eq(LinkState::NeedsReview.as_str()))
        .select(diesel::dsl::min(links::updated_at))
        .first::<Option<NaiveDateTime>>(conn)?)
}

/// What the staff screen shows of an email sent for a link: never its content.
#[derive(Debug, Clone, Queryable)]
pub struct SentEmail {
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

pub fn emails_of(conn: &mut DbConnection, id: &LinkId) -> Result<Vec<SentEmail>, DbError> {
    Ok(outbox::table
        .filter(outbox::link_id.eq(id.as_str()))
        .order(outbox::id.asc())
        .select((
            outbox::kind,
            outbox::status,
            outbox::attempts,
            outbox::created_at,
            outbox::sent_at,
        ))
        .load(conn)?)
}
