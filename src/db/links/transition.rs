//! Starting a link and committing its transitions. On PostgreSQL each commit is one statement
//! (`pg`); on SQLite, one transaction. Both write the same rows.

use super::events::NewEvent;
use super::unique_keys::{ERASED_KEY, SIGNUP_EMAIL_KEY, WISE_USER_KEY, names};
use super::{LinkChanges, LinkRow, NewLink, pg, sqlite};
use crate::audit::SigningKeys;
use crate::db::outbox::NewMessage;
use crate::db::schema::{link_events, link_reviews, link_tokens, links};
use crate::db::webhooks::NewPartnerEvent;
use crate::db::{DbConnection, DbError, is_unique_violation};
use crate::domain::{
    CustomerId, IllegalTransition, LinkEvent, LinkFlow, LinkId, LinkState, STARTED, WiseUserId,
    new_event_id, partner_events, reason_after, transition,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Which link a transition is for: its id, and its flow (which decides where a link that must
/// wait for the customer again goes).
#[derive(Debug, Clone)]
pub struct Subject {
    pub id: LinkId,
    pub flow: LinkFlow,
}

impl Subject {
    pub fn new(id: &LinkId, flow: LinkFlow) -> Self {
        Self {
            id: id.clone(),
            flow,
        }
    }
}

impl From<&LinkRow> for Subject {
    fn from(link: &LinkRow) -> Self {
        Self::new(&link.id, link.flow)
    }
}

/// One state change to record.
pub struct Transition {
    pub link_id: LinkId,
    pub flow: LinkFlow,
    pub from: LinkState,
    pub event: LinkEvent,
    pub changes: LinkChanges,
    pub actor: String,
    pub reason: Option<String>,
    pub wise_trace_id: Option<String>,
    /// Messages to queue in the outbox, in the same transaction as the change.
    pub messages: Vec<NewMessage>,
    /// A code to add to (or take back from) the link's spent codes, with the change.
    pub spent_code: Option<SpentCode>,
    /// Written only if the row was not changed since it was read (its `updated_at`): for changes
    /// that keep the state, or decisions made on what someone saw.
    pub unchanged_since: Option<NaiveDateTime>,
    /// Written only while the refresh lease of this generation is the link's latest: for what a
    /// refresh found, so a worker whose lease passed to another writes nothing.
    pub lease_generation: Option<i64>,
}

/// A change to the codes a link has sent to Wise. Adding one that is already there refuses the
/// whole transition ([`Refused::CodeSpent`]): the primary key decides, so no code is sent twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpentCode {
    /// About to be sent to Wise.
    Add(Vec<u8>),
    /// Wise provably did not process it: it may be sent again.
    Remove(Vec<u8>),
}

impl Transition {
    pub fn new(
        link: impl Into<Subject>,
        from: LinkState,
        event: LinkEvent,
        actor: &str,
        reason: &str,
    ) -> Self {
        let Subject { id, flow } = link.into();
        Self {
            link_id: id,
            flow,
            from,
            event,
            changes: LinkChanges::default(),
            actor: actor.to_owned(),
            reason: Some(reason.to_owned()),
            wise_trace_id: None,
            messages: Vec::new(),
            spent_code: None,
            unchanged_since: None,
            lease_generation: None,
        }
    }

    /// Refuses the transition (as stale) if the link changed after `updated_at`.
    pub fn unchanged_since(mut self, updated_at: NaiveDateTime) -> Self {
        self.unchanged_since = Some(updated_at);
        self
    }

    /// Refuses the transition (as stale) unless the link's refresh lease is still `generation`.
    pub fn under_lease(mut self, generation: i64) -> Self {
        self.lease_generation = Some(generation);
        self
    }

    pub fn changes(mut self, changes: LinkChanges) -> Self {
        self.changes = changes;
        self
    }

    pub fn trace(mut self, trace_id: Option<&str>) -> Self {
        self.wise_trace_id = trace_id.map(str::to_owned);
        self
    }

    /// Records the code (its hash) as sent to Wise; refused if it already was.
    pub fn spends(mut self, code_hash: Vec<u8>) -> Self {
        self.spent_code = Some(SpentCode::Add(code_hash));
        self
    }

    /// Takes a code back from the spent ones: Wise did not process it.
    pub fn gives_back(mut self, code_hash: Vec<u8>) -> Self {
        self.spent_code = Some(SpentCode::Remove(code_hash));
        self
    }

    /// Whether the transition publishes an event to the partner (if it is written).
    pub fn publishes(&self) -> bool {
        transition(self.from, self.event, self.flow)
            .is_ok_and(|to| partner_events(self.from, self.event, to).next().is_some())
    }

    /// Queues a message that is sent only if this transition is written.
    pub fn queue(mut self, message: Option<NewMessage>) -> Self {
        self.messages.extend(message);
        self
    }
}

/// Why a transition was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// Someone else moved the link first; nothing was written.
    #[error("the link is no longer {0}")]
    Stale(LinkState),
    /// The customer already has a link that is not final (a new link was not inserted).
    #[error("the customer already has a live link")]
    LinkExists,
    /// The customer was erased (`links_customer_not_erased`): no new link.
    #[error("the customer is erased")]
    CustomerErased,
    /// The code was already sent to Wise for this link; nothing was written.
    #[error("the code was already sent to Wise")]
    CodeSpent,
    /// Another link is active with the link's Wise user (`links_one_active_per_wise_user`).
    #[error("the Wise user is actively linked elsewhere")]
    WiseUserTaken,
    /// Another email-code link with the same signup email is exchanging, verifying or active
    /// (`links_one_exchange_per_signup_email`).
    #[error("another link holds the signup email")]
    SignupEmailTaken,
}

/// A customer to pin to a Wise user in the same transaction as the transitions (the first
/// verified link of a customer decides which Wise user its later links must match).
#[derive(Debug, Clone, Copy)]
pub struct Pin {
    pub customer_id: CustomerId,
    pub wise_user_id: WiseUserId,
}

/// Inserts a new `pending` link and its first event. Refused when the customer already has a link
/// that is not final (the partial unique index decides, so racing starts cannot both win).
pub fn insert(
    conn: &mut DbConnection,
    link: &NewLink<'_>,
    actor: &str,
    keys: &SigningKeys,
) -> Result<Result<(), Refused>, DbError> {
    let event = NewEvent::started(link.id, actor, LinkState::Pending, link.created_at, keys);
    let row = (
        link,
        links::state.eq(LinkState::Pending.as_str()),
        links::state_reason.eq(STARTED),
    );
    let result = match conn {
        DbConnection::Postgresql(pg) => pg::insert(pg, row, &event),
        DbConnection::Sqlite(_) => conn.write_transaction(|c| {
            diesel::insert_into(links::table).values(row).execute(c)?;
            diesel::insert_into(link_tokens::table)
                .values(link_tokens::link_id.eq(link.id))
                .execute(c)?;
            diesel::insert_into(link_reviews::table)
                .values(link_reviews::link_id.eq(link.id))
                .execute(c)?;
            diesel::insert_into(link_events::table)
                .values(&event)
                .execute(c)
        }),
    };
    match result {
        Ok(_) => Ok(Ok(())),
        Err(e) if is_unique_violation(&e) => Ok(Err(Refused::LinkExists)),
        Err(e) if names(&e, &ERASED_KEY) => Ok(Err(Refused::CustomerErased)),
        Err(e) => Err(e.into()),
    }
}

/// Applies one transition atomically (state check, row update, event row, messages): the link.
pub fn apply(
    conn: &mut DbConnection,
    t: &Transition,
    keys: &SigningKeys,
    now: NaiveDateTime,
) -> Result<Result<LinkRow, Refused>, DbError> {
    apply_all(conn, std::slice::from_ref(t), None, keys, now)
}

/// What a sequence of transitions of one link amounts to: one row update from the first state to
/// the last, one event row per transition, the events the partner hears, every queued message.
pub(super) struct Plan<'a> {
    pub link_id: &'a LinkId,
    pub from: LinkState,
    pub to: LinkState,
    pub changes: LinkChanges,
    pub events: Vec<NewEvent<'a>>,
    /// What the partner hears of the transitions, published with them.
    pub published: Vec<NewPartnerEvent<'a>>,
    pub messages: Vec<&'a NewMessage>,
    pub spent_codes: Vec<&'a SpentCode>,
    /// The link's scheduled reminder email goes to the relay (`LinkEvent::ReminderSent`).
    pub releases_reminder: bool,
    /// The first transition's guards on `updated_at` and on the refresh lease.
    pub unchanged_since: Option<NaiveDateTime>,
    pub lease_generation: Option<i64>,
}

fn plan<'a>(
    transitions: &'a [Transition],
    keys: &SigningKeys,
    now: NaiveDateTime,
) -> Result<Plan<'a>, Refused> {
    let first = transitions
        .first()
        .ok_or(Refused::Stale(LinkState::Pending))?;
    let mut plan = Plan {
        link_id: &first.link_id,
        from: first.from,
        to: first.from,
        changes: LinkChanges::default(),
        events: Vec::new(),
        published: Vec::new(),
        messages: Vec::new(),
        spent_codes: Vec::new(),
        releases_reminder: false,
        unchanged_since: first.unchanged_since,
        lease_generation: first.lease_generation,
    };
    for t in transitions {
        debug_assert_eq!(t.link_id, first.link_id, "one link per commit");
        if t.from != plan.to {
            return Err(Refused::Stale(t.from));
        }
        let to = transition(t.from, t.event, t.flow)?;
        plan.to = to;
        plan.changes = std::mem::take(&mut plan.changes).then(t.changes.clone());
        if let Some(reason) = reason_after(t.from, t.event, to) {
            plan.changes.state_reason = Some(Some(reason.to_owned()));
        }
        plan.events.push(NewEvent::of(t, to, now, keys));
        plan.published.extend(
            partner_events(t.from, t.event, to).map(|kind| NewPartnerEvent {
                event_id: new_event_id(),
                event_type: kind.as_str(),
                link_id: &t.link_id,
                state: to.as_str(),
                reason: t.event.as_str(),
                created_at: now,
                traceparent: crate::telemetry::current_traceparent(),
            }),
        );
        plan.messages.extend(&t.messages);
        plan.spent_codes.extend(&t.spent_code);
        plan.releases_reminder |= t.event == LinkEvent::ReminderSent;
    }
    Ok(plan)
}

/// Applies transitions one after the other as one atomic change, and pins the customer if asked:
/// all of it or nothing. Each must start from the state the previous one reached; the row must
/// still be in the first one's state.
pub fn apply_all(
    conn: &mut DbConnection,
    transitions: &[Transition],
    pin: Option<Pin>,
    keys: &SigningKeys,
    now: NaiveDateTime,
) -> Result<Result<LinkRow, Refused>, DbError> {
    let plan = match plan(transitions, keys, now) {
        Ok(plan) => plan,
        Err(refused) => return Ok(Err(refused)),
    };
    let row = match conn {
        DbConnection::Postgresql(pg) => pg::commit(pg, &plan, pin, now),
        DbConnection::Sqlite(_) => conn.write_transaction(|c| sqlite::commit(c, &plan, pin, now)),
    };
    match row {
        Ok(row) => Ok(row.ok_or(Refused::Stale(plan.from))),
        // The unique keys a transition can meet: one Wise user and one signup email per holder
        // (named in the error), a spent code's, and one live link per customer (a re-link taking
        // an ended link back to life).
        Err(e) if is_unique_violation(&e) && names(&e, &SIGNUP_EMAIL_KEY) => {
            Ok(Err(Refused::SignupEmailTaken))
        }
        Err(e) if is_unique_violation(&e) && names(&e, &WISE_USER_KEY) => {
            Ok(Err(Refused::WiseUserTaken))
        }
        Err(e) if is_unique_violation(&e) && !plan.spent_codes.is_empty() => {
            Ok(Err(Refused::CodeSpent))
        }
        Err(e) if is_unique_violation(&e) && plan.from.is_final() && !plan.to.is_final() => {
            Ok(Err(Refused::LinkExists))
        }
        Err(e) => Err(e.into()),
    }
}
