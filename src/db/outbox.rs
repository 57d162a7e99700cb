//! The transactional outbox. Messages are inserted inside the transaction of the change that
//! causes them ([`super::links::apply`]) and delivered later by the relay worker, which claims one
//! row at a time with a lease so any number of instances can share the table.

use super::schema::outbox;
use super::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

mod reminders;
pub use reminders::{cancel_scheduled, due_reminders, release_reminder};

/// What kind of message a row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// After Wise's 409: how to find Wise's email and where to enter the code.
    FinishLinking,
    /// The link became active.
    Linked,
    /// Staff rejected the link.
    NotLinked,
    /// Wise refused the link's tokens for good: link again.
    Reconnect,
    /// The customer has not typed the code yet: the one reminder, with the code page's link.
    Reminder,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FinishLinking => "finish_linking",
            Self::Linked => "linked",
            Self::NotLinked => "not_linked",
            Self::Reconnect => "reconnect",
            Self::Reminder => "reminder",
        }
    }
}

/// A message to queue: everything but the delivery bookkeeping.
#[derive(Clone)]
pub struct NewMessage {
    pub message_id: String,
    pub link_id: Option<String>,
    pub kind: MessageKind,
    pub recipient: String,
    /// The rendered message, sealed with the key ring (AAD: outbox, payload, message id).
    pub payload: Vec<u8>,
    /// The span that queued it ([`crate::telemetry::current_traceparent`]).
    pub traceparent: Option<String>,
    /// Kept back until something releases it (a reminder: when it is due and the link still
    /// waits for the code); the time is when it becomes due.
    pub scheduled_for: Option<NaiveDateTime>,
}

impl NewMessage {
    /// The status and first attempt time it is queued with.
    pub fn queued_as(&self, now: NaiveDateTime) -> (&'static str, NaiveDateTime) {
        match self.scheduled_for {
            Some(at) => (SCHEDULED, at),
            None => (PENDING, now),
        }
    }
}

/// The status of a message waiting to be delivered.
pub const PENDING: &str = "pending";
/// The status of a message kept back until released (it then becomes `pending`).
pub const SCHEDULED: &str = "scheduled";
/// The status of a scheduled message that will never be sent (its content is dropped).
pub const CANCELLED: &str = "cancelled";

/// The columns of a queued message, in [`Insert`]'s field order, for hand-built statements.
pub const NEW_MESSAGE_COLUMNS: [&str; 10] = {
    use diesel::Column;
    [
        outbox::message_id::NAME,
        outbox::link_id::NAME,
        outbox::kind::NAME,
        outbox::recipient::NAME,
        outbox::payload::NAME,
        outbox::status::NAME,
        outbox::attempts::NAME,
        outbox::next_attempt_at::NAME,
        outbox::created_at::NAME,
        outbox::traceparent::NAME,
    ]
};

#[derive(Insertable)]
// NULL rather than DEFAULT for `None`: one SQL text, so the prepared statement is cached.
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
struct Insert<'a> {
    message_id: &'a str,
    link_id: Option<&'a str>,
    kind: &'a str,
    recipient: &'a str,
    payload: Option<&'a [u8]>,
    status: &'a str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
    traceparent: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable)]
pub struct OutboxRow {
    pub id: i64,
    pub message_id: String,
    pub link_id: Option<String>,
    pub kind: String,
    pub recipient: String,
    pub payload: Option<Vec<u8>>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub leased_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub transport: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub traceparent: Option<String>,
}

/// Queues messages; call inside the transaction of the change they belong to.
pub fn enqueue<'m>(
    conn: &mut DbConnection,
    messages: impl IntoIterator<Item = &'m NewMessage>,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    for m in messages {
        let (status, next_attempt_at) = m.queued_as(now);
        diesel::insert_into(outbox::table)
            .values(Insert {
                message_id: &m.message_id,
                link_id: m.link_id.as_deref(),
                kind: m.kind.as_str(),
                recipient: &m.recipient,
                payload: Some(&m.payload),
                status,
                attempts: 0,
                next_attempt_at,
                created_at: now,
                traceparent: m.traceparent.as_deref(),
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Leases up to `limit` due messages (pending, due, not leased by anyone) until `until`, counting
/// an attempt for each, and returns them oldest first. The lease is taken by an `UPDATE` that
/// re-checks those conditions row by row, so of several relays racing for a message exactly one
/// gets it.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<OutboxRow>, DbError> {
    let due = || {
        outbox::status
            .eq(PENDING)
            .and(outbox::next_attempt_at.le(now))
            .and(
                outbox::leased_until
                    .is_null()
                    .or(outbox::leased_until.lt(now)),
            )
    };
    // `status, id` order matches the `outbox_status` index.
    let ids: Vec<i64> = outbox::table
        .select(outbox::id)
        .filter(due())
        .order((outbox::status.asc(), outbox::id.asc()))
        .limit(limit)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut claimed: Vec<OutboxRow> = diesel::update(outbox::table)
        .filter(outbox::id.eq_any(&ids))
        .filter(due())
        .set((
            outbox::leased_until.eq(until),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .returning(outbox::all_columns)
        .get_results(conn)?;
    claimed.sort_by_key(|row| row.id);
    Ok(claimed)
}

/// Delivered. The sealed messages are dropped unless `keep_payload` (the dev mailbox shows them).
pub fn mark_sent(
    conn: &mut DbConnection,
    ids: &[i64],
    transport: &str,
    keep_payload: bool,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let rows = outbox::table.filter(outbox::id.eq_any(ids));
    let base = (
        outbox::status.eq("sent"),
        outbox::transport.eq(transport),
        outbox::sent_at.eq(now),
        outbox::leased_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(None::<String>),
    );
    if keep_payload {
        diesel::update(rows).set(base).execute(conn)?;
    } else {
        diesel::update(rows)
            .set((base, outbox::payload.eq(None::<Vec<u8>>)))
            .execute(conn)?;
    }
    Ok(())
}

/// Not delivered this time: try again at `next_attempt_at`.
pub fn mark_retry(
    conn: &mut DbConnection,
    id: i64,
    error: &str,
    next_attempt_at: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(outbox::table.filter(outbox::id.eq(id)))
        .set((
            outbox::next_attempt_at.eq(next_attempt_at),
            outbox::leased_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

/// Given up on after the last attempt. The sealed message is kept so an operator can requeue it.
pub fn mark_failed(conn: &mut DbConnection, id: i64, error: &str) -> Result<(), DbError> {
    diesel::update(outbox::table.filter(outbox::id.eq(id)))
        .set((
            outbox::status.eq("failed"),
            outbox::leased_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

/// Messages the dev transport delivered, newest first, optionally to one recipient.
pub fn dev_mailbox(
    conn: &mut DbConnection,
    recipient: Option<&str>,
    limit: i64,
) -> Result<Vec<OutboxRow>, DbError> {
    let mut query = outbox::table
        .filter(outbox::transport.eq("dev"))
        .filter(outbox::payload.is_not_null())
        .into_boxed();
    if let Some(to) = recipient {
        query = query.filter(outbox::recipient.eq(to.to_owned()));
    }
    Ok(query
        .order(outbox::id.desc())
        .limit(limit)
        .load::<OutboxRow>(conn)?)
}

/// Rows still holding a sealed message, by id after `after`: the walk key rotation takes.
pub fn sealed_after(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, Vec<u8>)>, DbError> {
    let rows: Vec<(i64, String, Option<Vec<u8>>)> = outbox::table
        .select((outbox::id, outbox::message_id, outbox::payload))
        .filter(outbox::id.gt(after))
        .filter(outbox::payload.is_not_null())
        .order(outbox::id.asc())
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, mid, p)| p.map(|p| (id, mid, p)))
        .collect())
}

/// Replaces a sealed message only if it still holds exactly `old`.
pub fn replace_payload(
    conn: &mut DbConnection,
    id: i64,
    old: &[u8],
    new: &[u8],
) -> Result<bool, DbError> {
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::payload.eq(old)),
    )
    .set(outbox::payload.eq(new))
    .execute(conn)?;
    Ok(n == 1)
}

/// When the oldest message still to be sent was queued, if any is.
pub fn oldest_unsent(conn: &mut DbConnection) -> Result<Option<NaiveDateTime>, DbError> {
    Ok(outbox::table
        .filter(outbox::status.eq(PENDING))
        .select(diesel::dsl::min(outbox::created_at))
        .first(conn)?)
}
