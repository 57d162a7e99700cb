//! The reminder email's life in the outbox: queued `scheduled` with the link's start, released
//! to the relay by the transition that sends it, or cancelled when the link moved on.

use super::{CANCELLED, MessageKind, PENDING, SCHEDULED};
use crate::db::schema::outbox;
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Releases link `link_id`'s scheduled reminder to the relay (with the transition that sends it).
/// It counts as queued from now, so the mail backlog's age (`oldest_unsent`) measures the wait
/// from the release.
pub fn release_reminder(
    conn: &mut DbConnection,
    link_id: &str,
    now: NaiveDateTime,
) -> Result<usize, diesel::result::Error> {
    diesel::update(
        outbox::table
            .filter(outbox::link_id.eq(link_id))
            .filter(outbox::kind.eq(MessageKind::Reminder.as_str()))
            .filter(outbox::status.eq(SCHEDULED)),
    )
    .set((
        outbox::status.eq(PENDING),
        outbox::next_attempt_at.eq(now),
        outbox::created_at.eq(now),
    ))
    .execute(conn)
}

/// Scheduled reminders due at `now`, as `(message id, link id)`, oldest first.
pub fn due_reminders(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<(i64, String)>, DbError> {
    Ok(outbox::table
        .filter(outbox::status.eq(SCHEDULED))
        .filter(outbox::kind.eq(MessageKind::Reminder.as_str()))
        .filter(outbox::next_attempt_at.le(now))
        .order((outbox::status.asc(), outbox::id.asc()))
        .limit(limit)
        .select((outbox::id, outbox::link_id.assume_not_null()))
        .load(conn)?)
}

/// A scheduled message that will not be sent: cancelled, its content dropped.
pub fn cancel_scheduled(conn: &mut DbConnection, id: i64) -> Result<bool, DbError> {
    Ok(diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq(SCHEDULED)),
    )
    .set((
        outbox::status.eq(CANCELLED),
        outbox::payload.eq(None::<Vec<u8>>),
    ))
    .execute(conn)?
        == 1)
}
