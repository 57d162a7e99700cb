//! What the customer's link page shows of a link: its state, the code's window, the attempts
//! left and when Wise last emailed a code, with the customer's language. One row of `links`
//! joined with `customers` by the session token's hash, six columns: the hot path of
//! `GET /link/{session_token}`.

use super::LinkRow;
use crate::db::schema::{customers, links};
use crate::db::{Db, DbError, read};
use crate::domain::LinkState;
use chrono::NaiveDateTime;
use diesel::dsl;
use diesel::prelude::*;

/// A link as its page shows it.
#[derive(Clone, Queryable)]
pub struct PageLink {
    pub state: LinkState,
    pub code_expires_at: Option<NaiveDateTime>,
    pub attempts_remaining: i32,
    pub last_resend_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl PageLink {
    /// When Wise last emailed this link a code: the last resend, or the link's start.
    pub fn last_email_at(&self) -> NaiveDateTime {
        self.last_resend_at.unwrap_or(self.created_at)
    }
}

impl From<&LinkRow> for PageLink {
    fn from(link: &LinkRow) -> Self {
        Self {
            state: link.state,
            code_expires_at: link.code_expires_at,
            attempts_remaining: link.attempts_remaining,
            last_resend_at: link.last_resend_at,
            created_at: link.created_at,
        }
    }
}

impl LinkRow {
    /// [`PageLink::last_email_at`] of this link.
    pub fn last_email_at(&self) -> NaiveDateTime {
        PageLink::from(self).last_email_at()
    }
}

/// The columns the page reads (`default()` is the select).
type PageColumns = (
    (
        links::state,
        links::code_expires_at,
        links::attempts_remaining,
        links::last_resend_at,
        links::created_at,
    ),
    customers::language,
);

type BySession<'a> = dsl::Select<
    dsl::Filter<
        dsl::InnerJoin<links::table, customers::table>,
        dsl::Eq<links::session_token_hash, &'a [u8]>,
    >,
    PageColumns,
>;

fn by_session(token_hash: &[u8]) -> BySession<'_> {
    links::table
        .inner_join(customers::table)
        .filter(links::session_token_hash.eq(token_hash))
        .select(PageColumns::default())
}

/// The link a session token (its hash) opens, as its page shows it, with its customer's
/// language: a hot read ([`read!`]).
pub async fn read_page(db: &Db, token_hash: &[u8]) -> Result<Option<(PageLink, String)>, DbError> {
    let mut rows: Vec<(PageLink, String)> = read!(db, load, by_session(token_hash))?;
    Ok(rows.pop())
}
