//! What handing a partner a link's access token reads: the link's state, its profile, the sealed
//! access token and the four moments that decide whether that token may be handed out. One row of
//! `links` joined with `link_tokens` by the primary key, nine columns, instead of the whole
//! link: the hot path of `POST /v1/links/{id}/access-token`.

use super::LinkRow;
use crate::db::schema::{link_tokens, links};
use crate::db::{Db, DbError, read};
use crate::domain::{LinkId, LinkState, WiseProfileId};
use chrono::NaiveDateTime;
use diesel::dsl;
use diesel::prelude::*;

/// When a link's stored access token expires, when the refresher renews it, and whether a
/// refresh of it is out or in doubt: the rule of who may hand the token out lives here.
#[derive(Clone, Copy, Queryable)]
pub struct TokenTimes {
    pub access_expires_at: Option<NaiveDateTime>,
    pub refresh_due_at: Option<NaiveDateTime>,
    pub refresh_leased_until: Option<NaiveDateTime>,
    pub refresh_in_doubt_at: Option<NaiveDateTime>,
}

impl TokenTimes {
    /// A refresh was sent whose outcome is unknown: its answer was lost, or the lease ended
    /// without being settled (the holder crashed). The stored access token may be dead. (Taking
    /// the lease again records the second case in `refresh_in_doubt_at`.)
    pub fn refresh_unsettled(&self, now: NaiveDateTime) -> bool {
        self.refresh_in_doubt_at.is_some() || self.refresh_leased_until.is_some_and(|t| t <= now)
    }

    /// Someone holds the refresh lease now.
    pub fn refresh_leased(&self, now: NaiveDateTime) -> bool {
        self.refresh_leased_until.is_some_and(|t| t > now)
    }

    /// From when the stored access token may be replaced — and so killed at Wise, since a
    /// refresh ends the previous access token at once: when the refresher renews it
    /// (`refresh_due_at`), or `margin` before it expires, when an access-token call renews it
    /// first, whichever is sooner. Nobody refreshes it earlier, so a partner may use the token
    /// until then; it is the `expires_at` the partner is given.
    pub fn replaceable_from(&self, margin: chrono::Duration) -> Option<NaiveDateTime> {
        let expiry = self.access_expires_at? - margin;
        Some(match self.refresh_due_at {
            Some(due) => expiry.min(due),
            None => expiry,
        })
    }
}

/// A link as an access-token hand-out needs it.
#[derive(Queryable)]
pub struct HandOut {
    pub id: LinkId,
    pub state: LinkState,
    pub state_reason: Option<String>,
    pub wise_profile_id: Option<WiseProfileId>,
    /// Sealed.
    pub access_token: Option<Vec<u8>>,
    pub times: TokenTimes,
}

impl From<&LinkRow> for HandOut {
    fn from(link: &LinkRow) -> Self {
        Self {
            id: link.id.clone(),
            state: link.state,
            state_reason: link.state_reason.clone(),
            wise_profile_id: link.wise_profile_id,
            access_token: link.access_token.clone(),
            times: link.token_times(),
        }
    }
}

impl LinkRow {
    pub fn token_times(&self) -> TokenTimes {
        TokenTimes {
            access_expires_at: self.access_expires_at,
            refresh_due_at: self.refresh_due_at,
            refresh_leased_until: self.refresh_leased_until,
            refresh_in_doubt_at: self.refresh_in_doubt_at,
        }
    }
}

/// The columns a hand-out reads (diesel's columns are unit values: `default()` is the select).
type HandOutColumns = (
    links::id,
    links::state,
    links::state_reason,
    links::wise_profile_id,
    link_tokens::access_token,
    (
        link_tokens::access_expires_at,
        link_tokens::refresh_due_at,
        link_tokens::refresh_leased_until,
        link_tokens::refresh_in_doubt_at,
    ),
);

type ById<'a> = dsl::Select<
    dsl::Filter<dsl::InnerJoin<links::table, link_tokens::table>, dsl::Eq<links::id, &'a LinkId>>,
    HandOutColumns,
>;

fn by_id(id: &LinkId) -> ById<'_> {
    links::table
        .inner_join(link_tokens::table)
        .filter(links::id.eq(id))
        .select(HandOutColumns::default())
}

/// The link with id `id` as a hand-out reads it, as a hot read ([`read!`]).
pub async fn read_hand_out(db: &Db, id: &LinkId) -> Result<Option<HandOut>, DbError> {
    let mut rows: Vec<HandOut> = read!(db, load, by_id(id))?;
    Ok(rows.pop())
}
