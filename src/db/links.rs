//! Links and their events. Every state change goes through [`apply`], which checks it against the
//! domain's state machine, changes the row only if it is still in the expected state, and writes
//! the event row in the same transaction.

mod pg;

use super::outbox::{self, NewMessage};
use super::schema::{link_events, links};
use super::{DbConnection, DbError, is_unique_violation};
use crate::domain::{IllegalTransition, LinkEvent, LinkState, transition};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, Queryable)]
pub struct LinkRow {
    pub id: String,
    pub customer_id: i64,
    pub flow: String,
    pub origin: Option<String>,
    pub state: String,
    pub signup_email: String,
    pub registration_code: Option<Vec<u8>>,
    pub access_token: Option<Vec<u8>>,
    pub refresh_token: Option<Vec<u8>>,
    pub access_expires_at: Option<NaiveDateTime>,
    pub wise_user_id: Option<i64>,
    pub wise_profile_id: Option<i64>,
    pub attempts_remaining: i32,
    pub code_expires_at: Option<NaiveDateTime>,
    pub session_token_hash: Option<Vec<u8>>,
    pub spent_code_hash: Option<Vec<u8>>,
    pub last_resend_at: Option<NaiveDateTime>,
    pub resend_window_start: Option<NaiveDateTime>,
    pub resends_in_window: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl LinkRow {
    /// The state, as the domain knows it. The database CHECK keeps unknown values out.
    pub fn state(&self) -> LinkState {
        LinkState::parse(&self.state).unwrap_or(LinkState::Rejected)
    }
}

#[derive(Insertable)]
// NULL rather than DEFAULT for `None`: one SQL text, so the prepared statement is cached.
#[diesel(table_name = links, treat_none_as_default_value = false)]
pub struct NewLink<'a> {
    pub id: &'a str,
    pub customer_id: i64,
    pub flow: &'a str,
    pub state: &'a str,
    pub signup_email: &'a str,
    pub registration_code: Option<&'a [u8]>,
    pub attempts_remaining: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Columns a transition may change besides the state. `None` leaves a column alone;
/// `Some(None)` clears it.
#[derive(Default, Clone, AsChangeset)]
#[diesel(table_name = links)]
pub struct LinkChanges {
    pub origin: Option<String>,
    pub registration_code: Option<Option<Vec<u8>>>,
    pub access_token: Option<Option<Vec<u8>>>,
    pub refresh_token: Option<Option<Vec<u8>>>,
    pub access_expires_at: Option<Option<NaiveDateTime>>,
    pub wise_user_id: Option<Option<i64>>,
    pub wise_profile_id: Option<Option<i64>>,
    pub attempts_remaining: Option<i32>,
    pub code_expires_at: Option<Option<NaiveDateTime>>,
    pub session_token_hash: Option<Option<Vec<u8>>>,
    pub spent_code_hash: Option<Option<Vec<u8>>>,
    pub last_resend_at: Option<Option<NaiveDateTime>>,
    pub resend_window_start: Option<Option<NaiveDateTime>>,
    pub resends_in_window: Option<i32>,
}

impl LinkChanges {
    /// These changes followed by `later`'s: where both set a column, `later` wins.
    pub fn then(self, later: LinkChanges) -> LinkChanges {
        LinkChanges {
            origin: later.origin.or(self.origin),
            registration_code: later.registration_code.or(self.registration_code),
            access_token: later.access_token.or(self.access_token),
            refresh_token: later.refresh_token.or(self.refresh_token),
            access_expires_at: later.access_expires_at.or(self.access_expires_at),
            wise_user_id: later.wise_user_id.or(self.wise_user_id),
            wise_profile_id: later.wise_profile_id.or(self.wise_profile_id),
            attempts_remaining: later.attempts_remaining.or(self.attempts_remaining),
            code_expires_at: later.code_expires_at.or(self.code_expires_at),
            session_token_hash: later.session_token_hash.or(self.session_token_hash),
            spent_code_hash: later.spent_code_hash.or(self.spent_code_hash),
            last_resend_at: later.last_resend_at.or(self.last_resend_at),
            resend_window_start: later.resend_window_start.or(self.resend_window_start),
            resends_in_window: later.resends_in_window.or(self.resends_in_window),
        }
    }
}

#[derive(Insertable)]
// NULL rather than DEFAULT for `None`: one SQL text, so the prepared statement is cached.
#[diesel(table_name = link_events, treat_none_as_default_value = false)]
struct NewEvent<'a> {
    link_id: &'a str,
    actor: &'a str,
    from_state: Option<&'a str>,
    to_state: &'a str,
    reason: Option<&'a str>,
    wise_trace_id: Option<&'a str>,
    created_at: NaiveDateTime,
    event: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub link_id: String,
    pub actor: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub reason: Option<String>,
    pub wise_trace_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub event: Option<String>,
}

/// One state change to record.
pub struct Transition {
    pub link_id: String,
    pub from: LinkState,
    pub event: LinkEvent,
    pub changes: LinkChanges,
    pub actor: String,
    pub reason: Option<String>,
    pub wise_trace_id: Option<String>,
    /// Messages to queue in the outbox, in the same transaction as the change.
    pub messages: Vec<NewMessage>,
}

impl Transition {
    pub fn new(
        link_id: &str,
        from: LinkState,
        event: LinkEvent,
        actor: &str,
        reason: &str,
    ) -> Self {
        Self {
            link_id: link_id.to_owned(),
            from,
            event,
            changes: LinkChanges::default(),
            actor: actor.to_owned(),
            reason: Some(reason.to_owned()),
            wise_trace_id: None,
            messages: Vec::new(),
        }
    }

    pub fn changes(mut self, changes: LinkChanges) -> Self {
        self.changes = changes;
        self
    }

    pub fn trace(mut self, trace_id: Option<&str>) -> Self {
        self.wise_trace_id = trace_id.map(str::to_owned);
        self
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
}

/// Inserts a new `pending` link and its first event. `Ok(None)` when the customer already has a
/// link that is not final.
pub fn insert(
    conn: &mut DbConnection,
    link: &NewLink<'_>,
    actor: &str,
) -> Result<Option<()>, DbError> {
    let result = match conn {
        DbConnection::Postgresql(pg) => pg::insert(pg, link, actor),
        DbConnection::Sqlite(_) => insert_in_transaction(conn, link, actor),
    };
    match result {
        Ok(_) => Ok(Some(())),
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn insert_in_transaction(
    conn: &mut DbConnection,
    link: &NewLink<'_>,
    actor: &str,
) -> Result<usize, diesel::result::Error> {
    conn.transaction(|c| {
        diesel::insert_into(links::table).values(link).execute(c)?;
        diesel::insert_into(link_events::table)
            .values(NewEvent {
                link_id: link.id,
                actor,
                from_state: None,
                to_state: link.state,
                reason: Some("link started"),
                wise_trace_id: None,
                created_at: link.created_at,
                event: None,
            })
            .execute(c)
    })
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<LinkRow>, DbError> {
    Ok(links::table
        .filter(links::id.eq(id))
        .load::<LinkRow>(conn)?
        .pop())
}

pub fn find_by_session(
    conn: &mut DbConnection,
    token_hash: &[u8],
) -> Result<Option<LinkRow>, DbError> {
    Ok(links::table
        .filter(links::session_token_hash.eq(token_hash))
        .load::<LinkRow>(conn)?
        .pop())
}

pub fn events(conn: &mut DbConnection, link_id: &str) -> Result<Vec<EventRow>, DbError> {
    Ok(link_events::table
        .filter(link_events::link_id.eq(link_id))
        .order(link_events::id.asc())
        .load::<EventRow>(conn)?)
}

/// A customer to pin to a Wise user in the same transaction as the transitions (the first
/// verified link of a customer decides which Wise user its later links must match).
#[derive(Debug, Clone, Copy)]
pub struct Pin {
    pub customer_id: i64,
    pub wise_user_id: i64,
}

/// Applies one transition atomically (state check, row update, event row, queued messages) and
/// returns the updated link.
pub fn apply(
    conn: &mut DbConnection,
    t: &Transition,
    now: NaiveDateTime,
) -> Result<Result<LinkRow, Refused>, DbError> {
    apply_all(conn, std::slice::from_ref(t), None, now)
}

/// What a sequence of transitions of one link amounts to: one row update from the first state to
/// the last, one event row per transition, every queued message.
struct Plan<'a> {
    link_id: &'a str,
    from: LinkState,
    to: LinkState,
    changes: LinkChanges,
    events: Vec<(&'a Transition, LinkState)>,
    messages: Vec<&'a NewMessage>,
}

fn plan(transitions: &[Transition]) -> Result<Plan<'_>, Refused> {
    let first = transitions
        .first()
        .ok_or(Refused::Stale(LinkState::Pending))?;
    let mut plan = Plan {
        link_id: &first.link_id,
        from: first.from,
        to: first.from,
        changes: LinkChanges::default(),
        events: Vec::new(),
        messages: Vec::new(),
    };
    for t in transitions {
        debug_assert_eq!(t.link_id, first.link_id, "one link per commit");
        if t.from != plan.to {
            return Err(Refused::Stale(t.from));
        }
        let to = transition(t.from, t.event)?;
        plan.to = to;
        plan.changes = std::mem::take(&mut plan.changes).then(t.changes.clone());
        plan.events.push((t, to));
        plan.messages.extend(&t.messages);
    }
    Ok(plan)
}

/// Applies transitions one after the other as one atomic change, and pins the customer if asked:
/// all of it or nothing. Each must start from the state the previous one reached; the row must
/// still be in the first one's state. On PostgreSQL this is a single statement; on SQLite, one
/// transaction.
pub fn apply_all(
    conn: &mut DbConnection,
    transitions: &[Transition],
    pin: Option<Pin>,
    now: NaiveDateTime,
) -> Result<Result<LinkRow, Refused>, DbError> {
    let plan = match plan(transitions) {
        Ok(plan) => plan,
        Err(refused) => return Ok(Err(refused)),
    };
    let row = match conn {
        DbConnection::Postgresql(pg) => pg::commit(pg, &plan, pin, now)?,
        DbConnection::Sqlite(_) => {
            conn.transaction(|c| commit_in_transaction(c, &plan, pin, now))?
        }
    };
    Ok(row.ok_or(Refused::Stale(plan.from)))
}

fn commit_in_transaction(
    c: &mut DbConnection,
    plan: &Plan<'_>,
    pin: Option<Pin>,
    now: NaiveDateTime,
) -> Result<Option<LinkRow>, diesel::result::Error> {
    let Some(row) = diesel::update(links::table)
        .filter(links::id.eq(plan.link_id))
        .filter(links::state.eq(plan.from.as_str()))
        .set((
            links::state.eq(plan.to.as_str()),
            links::updated_at.eq(now),
            &plan.changes,
        ))
        .returning(links::all_columns)
        .get_results::<LinkRow>(c)?
        .pop()
    else {
        return Ok(None);
    };
    for (t, to) in &plan.events {
        diesel::insert_into(link_events::table)
            .values(NewEvent {
                link_id: &t.link_id,
                actor: &t.actor,
                from_state: Some(t.from.as_str()),
                to_state: to.as_str(),
                reason: t.reason.as_deref(),
                wise_trace_id: t.wise_trace_id.as_deref(),
                created_at: now,
                event: Some(t.event.as_str()),
            })
            .execute(c)?;
    }
    outbox::enqueue(c, plan.messages.iter().copied(), now)?;
    if let Some(p) = pin {
        super::customers::pin_wise_user(c, p.customer_id, p.wise_user_id)?;
    }
    Ok(Some(row))
}

/// How many wrong codes a customer typed since `since`, over all their links, and when the
/// earliest of them was.
pub fn wrong_codes_since(
    conn: &mut DbConnection,
    customer_id: i64,
    since: NaiveDateTime,
) -> Result<(i64, Option<NaiveDateTime>), DbError> {
    use diesel::dsl::{count_star, min};
    let wrong = [LinkEvent::CodeRefused, LinkEvent::TooManyWrongCodes].map(LinkEvent::as_str);
    // One indexed lookup per link (a customer has a handful) rather than a join or an IN list:
    // PostgreSQL plans prepared statements once, and a plan made while the table was small
    // scanned every event row on each later call.
    let link_ids: Vec<String> = links::table
        .select(links::id)
        .filter(links::customer_id.eq(customer_id))
        .load(conn)?;
    let mut total: (i64, Option<NaiveDateTime>) = (0, None);
    for link_id in link_ids {
        let (count, oldest): (i64, Option<NaiveDateTime>) = link_events::table
            .filter(link_events::link_id.eq(link_id))
            .filter(link_events::event.eq_any(wrong))
            .filter(link_events::created_at.gt(since))
            .select((count_star(), min(link_events::created_at)))
            .first(conn)?;
        total.0 += count;
        total.1 = match (total.1, oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(total)
}

/// Changes secrets or expiries without a state change (token refresh).
pub fn update(
    conn: &mut DbConnection,
    link_id: &str,
    state: LinkState,
    changes: &LinkChanges,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let n = diesel::update(links::table)
        .filter(links::id.eq(link_id))
        .filter(links::state.eq(state.as_str()))
        .set((links::updated_at.eq(now), changes))
        .execute(conn)?;
    Ok(n == 1)
}

/// Which links to list, newest first, after an optional keyset position.
pub struct ListFilter {
    pub customer_ref: Option<String>,
    pub state: Option<LinkState>,
    /// `(created_at, id)` of the last link already seen.
    pub after: Option<(NaiveDateTime, String)>,
    pub limit: i64,
}

/// Links with their customer's reference, newest first.
pub fn list(
    conn: &mut DbConnection,
    filter: &ListFilter,
) -> Result<Vec<(LinkRow, String)>, DbError> {
    use super::schema::customers;
    let mut query = links::table
        .inner_join(customers::table)
        .select((links::all_columns, customers::customer_ref))
        .into_boxed();
    if let Some(customer_ref) = &filter.customer_ref {
        query = query.filter(customers::customer_ref.eq(customer_ref.clone()));
    }
    if let Some(state) = filter.state {
        query = query.filter(links::state.eq(state.as_str()));
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
        .load::<(LinkRow, String)>(conn)?)
}

/// Links a crash or an outage left mid-way (`pending`, `exchanging`, `verifying`) and untouched
/// since `before`, oldest first.
pub fn stale_in_flight(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    limit: i64,
) -> Result<Vec<LinkRow>, DbError> {
    let states = [
        LinkState::Pending,
        LinkState::Exchanging,
        LinkState::Verifying,
    ]
    .map(LinkState::as_str);
    Ok(links::table
        .filter(links::state.eq_any(states))
        .filter(links::updated_at.lt(before))
        .order(links::updated_at.asc())
        .limit(limit)
        .load::<LinkRow>(conn)?)
}

/// Claims a stale link for recovery by moving its `updated_at` forward, if nobody changed it since
/// it was read. Of several instances racing for one link, exactly one wins.
pub fn claim(conn: &mut DbConnection, link: &LinkRow, now: NaiveDateTime) -> Result<bool, DbError> {
    let n = diesel::update(links::table)
        .filter(links::id.eq(&link.id))
        .filter(links::state.eq(&link.state))
        .filter(links::updated_at.eq(link.updated_at))
        .set(links::updated_at.eq(now))
        .execute(conn)?;
    Ok(n == 1)
}

/// The sealed columns of a link, named as the associated data names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedColumn {
    RegistrationCode,
    AccessToken,
    RefreshToken,
}

impl SealedColumn {
    pub const ALL: [SealedColumn; 3] = [
        Self::RegistrationCode,
        Self::AccessToken,
        Self::RefreshToken,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::RegistrationCode => "registration_code",
            Self::AccessToken => "access_token",
            Self::RefreshToken => "refresh_token",
        }
    }

    pub fn of(self, link: &LinkRow) -> Option<&[u8]> {
        match self {
            Self::RegistrationCode => link.registration_code.as_deref(),
            Self::AccessToken => link.access_token.as_deref(),
            Self::RefreshToken => link.refresh_token.as_deref(),
        }
    }
}

/// Links ordered by id, after `after_id`: the walk key rotation takes.
pub fn batch_after(
    conn: &mut DbConnection,
    after_id: &str,
    limit: i64,
) -> Result<Vec<LinkRow>, DbError> {
    Ok(links::table
        .filter(links::id.gt(after_id))
        .order(links::id.asc())
        .limit(limit)
        .load::<LinkRow>(conn)?)
}

/// Replaces one sealed value, only if it still holds exactly `old` (the service may have written
/// a newer one meanwhile). Returns whether it was replaced.
pub fn replace_sealed(
    conn: &mut DbConnection,
    id: &str,
    column: SealedColumn,
    old: &[u8],
    new: &[u8],
) -> Result<bool, DbError> {
    let row = links::table.filter(links::id.eq(id));
    let n = match column {
        SealedColumn::RegistrationCode => {
            diesel::update(row.filter(links::registration_code.eq(old)))
                .set(links::registration_code.eq(new))
                .execute(conn)?
        }
        SealedColumn::AccessToken => diesel::update(row.filter(links::access_token.eq(old)))
            .set(links::access_token.eq(new))
            .execute(conn)?,
        SealedColumn::RefreshToken => diesel::update(row.filter(links::refresh_token.eq(old)))
            .set(links::refresh_token.eq(new))
            .execute(conn)?,
    };
    Ok(n == 1)
}
