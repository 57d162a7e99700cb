//! The append-only audit trail of each link, and what is counted from it.

use super::Transition;
use crate::audit::{Fields, SigningKeys, Source, content_of, content_with, link_event_fields};
use crate::db::schema::{link_events, links};
use crate::db::{DbConnection, DbError};
use crate::domain::{CustomerId, LinkEvent, LinkId, LinkState};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One event row to write. Both backends build it with [`NewEvent::started`] or
/// [`NewEvent::of`], so an event reads the same whichever wrote it.
#[derive(Insertable)]
// NULL rather than DEFAULT for `None`: one SQL text, so the prepared statement is cached.
#[diesel(table_name = link_events, treat_none_as_default_value = false)]
pub(super) struct NewEvent<'a> {
    pub link_id: &'a LinkId,
    pub actor: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub reason: Option<&'a str>,
    pub wise_trace_id: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub event: Option<&'a str>,
    /// The row's audit seal ([`crate::audit`]).
    pub seal: Vec<u8>,
}

/// The columns of [`NewEvent`], in its field order, for hand-built statements.
pub(super) const NEW_EVENT_COLUMNS: [&str; 9] = {
    use diesel::Column;
    [
        link_events::link_id::NAME,
        link_events::actor::NAME,
        link_events::from_state::NAME,
        link_events::to_state::NAME,
        link_events::reason::NAME,
        link_events::wise_trace_id::NAME,
        link_events::created_at::NAME,
        link_events::event::NAME,
        link_events::seal::NAME,
    ]
};

pub(super) const STARTED_REASON: &str = "link started";
pub(super) const IMPORTED_REASON: &str =
    "link imported; its proof (a refresh at Wise, then the identity check) follows";

impl<'a> NewEvent<'a> {
    /// The first event of a link.
    pub fn started(
        link_id: &'a LinkId,
        actor: &'a str,
        state: LinkState,
        at: NaiveDateTime,
        keys: &SigningKeys,
    ) -> Self {
        Self {
            link_id,
            actor,
            from_state: None,
            to_state: state.as_str(),
            reason: Some(STARTED_REASON),
            wise_trace_id: None,
            created_at: at,
            event: None,
            seal: Vec::new(),
        }
        .sealed(keys)
    }

    /// The first event of an imported link, which starts `verifying`.
    pub fn imported(
        link_id: &'a LinkId,
        actor: &'a str,
        at: NaiveDateTime,
        keys: &SigningKeys,
    ) -> Self {
        Self {
            reason: Some(IMPORTED_REASON),
            ..Self::started(link_id, actor, LinkState::Verifying, at, keys)
        }
        .sealed(keys)
    }

    /// The event of transition `t`, which reached `to`.
    pub fn of(t: &'a Transition, to: LinkState, at: NaiveDateTime, keys: &SigningKeys) -> Self {
        Self {
            link_id: &t.link_id,
            actor: &t.actor,
            from_state: Some(t.from.as_str()),
            to_state: to.as_str(),
            reason: t.reason.as_deref(),
            wise_trace_id: t.wise_trace_id.as_deref(),
            created_at: at,
            event: Some(t.event.as_str()),
            seal: Vec::new(),
        }
        .sealed(keys)
    }

    fn sealed(mut self, keys: &SigningKeys) -> Self {
        let fields = link_event_fields(
            self.link_id.as_str(),
            self.actor,
            self.from_state,
            self.to_state,
            self.reason,
            self.wise_trace_id,
            self.created_at,
            self.event,
        );
        self.seal = keys.seal(&content_of(Source::LinkEvents, &fields));
        self
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub link_id: LinkId,
    pub actor: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub reason: Option<String>,
    pub wise_trace_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub event: Option<String>,
    pub seal: Option<Vec<u8>>,
    /// Fields erased with the customer, each as the digest of what it held
    /// ([`crate::audit::encode_erased`]).
    pub erased: Option<Vec<u8>>,
}

impl EventRow {
    /// The row's fields as the audit trail hashes and exports them.
    pub fn fields(&self) -> Fields {
        link_event_fields(
            self.link_id.as_str(),
            &self.actor,
            self.from_state.as_deref(),
            &self.to_state,
            self.reason.as_deref(),
            self.wise_trace_id.as_deref(),
            self.created_at,
            self.event.as_deref(),
        )
    }

    /// The fields erased from the row, by position and digest; `None` when the stored record is
    /// unreadable (the row then matches no seal).
    pub fn erased(&self) -> Option<crate::audit::Erased> {
        crate::audit::decode_erased(self.erased.as_deref())
    }

    /// The row's content digest, as its seal signed it.
    pub fn content(&self) -> crate::audit::Hash {
        match self.erased() {
            Some(erased) => content_with(Source::LinkEvents, &self.fields(), &erased),
            None => [0xff; 32],
        }
    }
}

pub fn events(conn: &mut DbConnection, link_id: &LinkId) -> Result<Vec<EventRow>, DbError> {
    Ok(link_events::table
        .filter(link_events::link_id.eq(link_id))
        .order(link_events::id.asc())
        .load::<EventRow>(conn)?)
}

/// Wrong codes a customer typed in a period, over all their links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WrongCodes {
    pub count: i64,
    pub earliest: Option<NaiveDateTime>,
}

/// How many wrong codes a customer typed since `since`, over all their links, and when the
/// earliest of them was.
pub fn wrong_codes_since(
    conn: &mut DbConnection,
    customer_id: CustomerId,
    since: NaiveDateTime,
) -> Result<WrongCodes, DbError> {
    use diesel::dsl::{count_star, min};
    let wrong = [LinkEvent::CodeRefused, LinkEvent::TooManyWrongCodes].map(LinkEvent::as_str);
    // One indexed lookup per link (a customer has a handful) rather than a join or an IN list:
    // PostgreSQL plans prepared statements once, and a plan made while the table was small
    // scanned every event row on each later call.
    let link_ids: Vec<LinkId> = links::table
        .select(links::id)
        .filter(links::customer_id.eq(customer_id))
        .load(conn)?;
    let mut total = WrongCodes::default();
    for link_id in link_ids {
        let (count, earliest): (i64, Option<NaiveDateTime>) = link_events::table
            .filter(link_events::link_id.eq(link_id))
            .filter(link_events::event.eq_any(wrong))
            .filter(link_events::created_at.gt(since))
            .select((count_star(), min(link_events::created_at)))
            .first(conn)?;
        total.count += count;
        total.earliest = match (total.earliest, earliest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(total)
}
