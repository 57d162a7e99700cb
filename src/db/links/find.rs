//! Reading links.

use super::LinkRow;
use super::row::{LINK_COLUMNS, LinkColumns, Linked, linked};
use crate::db::schema::{customers, links};
use crate::db::{Db, DbConnection, DbError, read};
use crate::domain::{CustomerId, LinkId, LinkState};
use chrono::NaiveDateTime;
use diesel::dsl;
use diesel::prelude::*;

/// The link with id `id` (zero or one row).
fn by_id(id: &LinkId) -> ById<'_> {
    linked().filter(links::id.eq(id))
}

type ById<'a> = dsl::Filter<Linked, dsl::Eq<links::id, &'a LinkId>>;

/// The link a session token (its hash) opens, with its customer's language.
fn by_session(token_hash: &[u8]) -> BySession<'_> {
    linked()
        .inner_join(customers::table)
        .filter(links::session_token_hash.eq(token_hash))
        .select((LINK_COLUMNS, customers::language))
}

type BySession<'a> = dsl::Select<
    dsl::Filter<
        dsl::InnerJoin<Linked, customers::table>,
        dsl::Eq<links::session_token_hash, &'a [u8]>,
    >,
    (LinkColumns, customers::language),
>;

pub fn find(conn: &mut DbConnection, id: &LinkId) -> Result<Option<LinkRow>, DbError> {
    Ok(by_id(id).load::<LinkRow>(conn)?.pop())
}

/// [`find`] as a hot read, off the blocking pool ([`read!`]).
pub async fn read(db: &Db, id: &LinkId) -> Result<Option<LinkRow>, DbError> {
    let mut rows: Vec<LinkRow> = read!(db, load, by_id(id))?;
    Ok(rows.pop())
}

/// The link a session token (its hash) opens, with its customer's language (for the link page,
/// and the app acting on one link): one hot read.
pub async fn read_by_session(
    db: &Db,
    token_hash: &[u8],
) -> Result<Option<(LinkRow, String)>, DbError> {
    let mut rows: Vec<(LinkRow, String)> = read!(db, load, by_session(token_hash))?;
    Ok(rows.pop())
}

/// The link a "this wasn't me" token (its hash) opens.
pub fn find_by_dispute(
    conn: &mut DbConnection,
    token_hash: &[u8],
) -> Result<Option<LinkRow>, DbError> {
    Ok(linked()
        .filter(links::dispute_token_hash.eq(token_hash))
        .load::<LinkRow>(conn)?
        .pop())
}

/// The language of a link's customer.
pub fn language_of(conn: &mut DbConnection, id: &LinkId) -> Result<Option<String>, DbError> {
    Ok(links::table
        .inner_join(customers::table)
        .filter(links::id.eq(id))
        .select(customers::language)
        .load::<String>(conn)?
        .pop())
}

/// The customer's link that is not final, if any (there is at most one).
pub fn live_of_customer(
    conn: &mut DbConnection,
    customer_id: CustomerId,
) -> Result<Option<LinkRow>, DbError> {
    let finals = LinkState::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .map(LinkState::as_str)
        .collect::<Vec<_>>();
    Ok(linked()
        .filter(links::customer_id.eq(customer_id))
        .filter(links::state.ne_all(finals))
        .load::<LinkRow>(conn)?
        .pop())
}

/// Which links to list, newest first, after an optional keyset position.
pub struct ListFilter {
    pub customer_ref: Option<String>,
    pub state: Option<LinkState>,
    /// Only links whose state reason is this.
    pub reason: Option<String>,
    /// `(created_at, id)` of the last link already seen.
    pub after: Option<(NaiveDateTime, LinkId)>,
    pub limit: i64,
}

/// A link with its customer's reference.
pub struct CustomerLink {
    pub link: LinkRow,
    pub customer_ref: String,
}

/// Links with their customer's reference, newest first.
pub fn list(conn: &mut DbConnection, filter: &ListFilter) -> Result<Vec<CustomerLink>, DbError> {
    let mut query = linked()
        .inner_join(customers::table)
        .select((LINK_COLUMNS, customers::customer_ref))
        .into_boxed();
    if let Some(customer_ref) = &filter.customer_ref {
        query = query.filter(customers::customer_ref.eq(customer_ref.clone()));
    }
    if let Some(state) = filter.state {
        query = query.filter(links::state.eq(state.as_str()));
    }
    if let Some(reason) = &filter.reason {
        query = query.filter(links::state_reason.eq(reason.clone()));
    }
    if let Some((created_at, id)) = &filter.after {
        query = query.filter(
            links::created_at.lt(*created_at).or(links::created_at
                .eq(*created_at)
                .and(links::id.lt(id.clone()))),
        );
    }
    Ok(query
        .order((links::created_at.desc(), links::id.desc()))
        .limit(filter.limit)
        .load::<(LinkRow, String)>(conn)?
        .into_iter()
        .map(|(link, customer_ref)| CustomerLink { link, customer_ref })
        .collect())
}

/// Links ordered by id, after `after_id`: the walk key rotation takes.
pub fn batch_after(
    conn: &mut DbConnection,
    after_id: &str,
    limit: i64,
) -> Result<Vec<LinkRow>, DbError> {
    Ok(linked()
        .filter(links::id.gt(after_id))
        .order(links::id.asc())
        .limit(limit)
        .load::<LinkRow>(conn)?)
}
