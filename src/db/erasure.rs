//! Erasing personal data: a customer's on request (GDPR art. 17), and a final link's once
//! retention has passed.
//!
//! What is erased, everywhere it lives: the customer's email, date of birth and names; each
//! link's signup email, registration code, session, return URL, Wise user and profile, what its
//! identity check compared, its tokens; the emails queued or sent for it; its browser-binding
//! states; the stored `Idempotency-Key` answers about the customer or its links. What stays is the
//! record of what was decided: the rows themselves, their states and reasons, `link_events` and
//! `staff_audit`, so the audit chain still verifies. The one thing erased inside the trail is a
//! reason a person typed, which is replaced by its digest (see [`erase_typed_reasons`]).

use super::links::{self as link_rows, LinkChanges, LinkRow, Refused, Transition};
use super::schema::{
    authorization_states, customers, link_events, link_reviews, link_tokens, links, outbox,
};
use super::{DbConnection, DbError, idempotency};
use crate::audit::SigningKeys;
use crate::audit::{LINK_EVENT_REASON, encode_erased, erase_field};
use crate::domain::{CustomerRef, LinkEvent, LinkId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The staff audit event an erasure writes.
pub const ERASED_EVENT: &str = "customer_erased";

/// A customer's erasure as done (now or before).
#[derive(Debug, Clone)]
pub struct Erasure {
    pub customer_ref: String,
    pub erased_at: NaiveDateTime,
    /// Every link of the customer, all final now.
    pub links: Vec<LinkId>,
    /// Whether this call erased the customer (false: it already was).
    pub now: bool,
}

/// Why an erasure wrote nothing.
#[derive(Debug)]
pub enum EraseError {
    NotFound,
    /// A link is mid-exchange (or moved meanwhile): try again in a moment.
    LinkBusy(Refused),
    Db(DbError),
}

impl From<diesel::result::Error> for EraseError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

impl From<DbError> for EraseError {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}

/// Who erases, why, and with what the audit rows are sealed.
pub struct Eraser<'a> {
    pub actor: &'a str,
    pub reason: &'a str,
    /// What an unlink does to a live link besides ending it (its tokens and session go).
    pub unlink_changes: LinkChanges,
    pub keys: &'a SigningKeys,
    pub now: NaiveDateTime,
}

/// Erases the customer, all or nothing: every live link is unlinked (an event each, which the
/// partner hears), then the personal data goes and a sealed staff audit row records who erased
/// whom and when. Erasing an erased customer changes nothing and answers the first erasure.
pub fn erase_customer(
    conn: &mut DbConnection,
    customer_ref: &CustomerRef,
    by: &Eraser<'_>,
) -> Result<Erasure, EraseError> {
    conn.write_transaction(|c| {
        // The update comes first: on PostgreSQL it locks the row, which a link's insert reads
        // FOR SHARE (`links_customer_not_erased`), so no link can start for it from here on.
        let erased: Option<i64> = diesel::update(customers::table)
            .filter(customers::customer_ref.eq(customer_ref.as_str()))
            .filter(customers::erased_at.is_null())
            .set((
                customers::email.eq(None::<String>),
                customers::date_of_birth.eq(None::<chrono::NaiveDate>),
                customers::first_name.eq(None::<String>),
                customers::last_name.eq(None::<String>),
                customers::wise_user_id.eq(None::<i64>),
                customers::erased_at.eq(Some(by.now)),
                customers::updated_at.eq(by.now),
            ))
            .returning(customers::id)
            .get_results(c)?
            .pop();
        let (id, erased_at) = match erased {
            Some(id) => (id, by.now),
            None => customers::table
                .filter(customers::customer_ref.eq(customer_ref.as_str()))
                .select((customers::id, customers::erased_at))
                .load::<(i64, Option<NaiveDateTime>)>(c)?
                .pop()
                .map(|(id, at)| (id, at.unwrap_or(by.now)))
                .ok_or(EraseError::NotFound)?,
        };
        let of_customer: Vec<LinkRow> = link_rows::linked()
            .filter(links::customer_id.eq(id))
            .order(links::created_at.asc())
            .load(c)?;
        let ids: Vec<LinkId> = of_customer.iter().map(|l| l.id.clone()).collect();
        if erased.is_none() {
            return Ok(Erasure {
                customer_ref: customer_ref.as_str().to_owned(),
                erased_at,
                links: ids,
                now: false,
            });
        }
        // The reasons typed so far go first, so the erasure's own reason (why it was erased,
        // which must name no one) stays on the unlink events it writes next.
        erase_typed_reasons(c, &ids)?;
        for link in of_customer.iter().filter(|l| !l.state.is_final()) {
            let t = Transition::new(link, link.state, LinkEvent::Unlinked, by.actor, by.reason)
                .changes(by.unlink_changes.clone());
            link_rows::apply(c, &t, by.keys, by.now)?.map_err(EraseError::LinkBusy)?;
        }
        scrub_columns(c, &ids, by.now)?;
        let mut subjects: Vec<String> = ids.iter().map(|l| format!("link:{l}")).collect();
        subjects.push(format!("customer:{}", customer_ref.as_str()));
        idempotency::forget_subjects(c, &subjects)?;
        super::staff::audit(
            c,
            by.keys,
            &format!("customer:{}", customer_ref.as_str()),
            ERASED_EVENT,
            Some(by.actor),
            None,
            by.now,
        )?;
        Ok(Erasure {
            customer_ref: customer_ref.as_str().to_owned(),
            erased_at,
            links: ids,
            now: true,
        })
    })
}

/// Erases the personal data of these links, the reasons typed on their events included (their
/// state and audit trail stay), and marks them erased at `now`.
pub fn scrub_links(
    conn: &mut DbConnection,
    ids: &[LinkId],
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    erase_typed_reasons(conn, ids)?;
    scrub_columns(conn, ids, now)
}

/// Erases the personal data held in these links' own rows and the rows beside them.
fn scrub_columns(
    conn: &mut DbConnection,
    ids: &[LinkId],
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(links::table.filter(links::id.eq_any(ids)))
        .set((
            links::signup_email.eq(""),
            links::registration_code.eq(None::<Vec<u8>>),
            links::session_token_hash.eq(None::<Vec<u8>>),
            links::return_url.eq(None::<String>),
            links::wise_user_id.eq(None::<i64>),
            links::wise_profile_id.eq(None::<i64>),
            links::wise_user_state.eq(None::<String>),
            links::wise_user_deactivates_on.eq(None::<chrono::NaiveDate>),
            links::profile_verification.eq(None::<String>),
            links::personal_data_erased_at.eq(Some(now)),
        ))
        .execute(conn)?;
    diesel::update(link_tokens::table.filter(link_tokens::link_id.eq_any(ids)))
        .set((
            link_tokens::access_token.eq(None::<Vec<u8>>),
            link_tokens::refresh_token.eq(None::<Vec<u8>>),
        ))
        .execute(conn)?;
    diesel::update(link_reviews::table.filter(link_reviews::link_id.eq_any(ids)))
        .set((
            link_reviews::checked_partner_dob.eq(None::<chrono::NaiveDate>),
            link_reviews::checked_partner_email.eq(None::<String>),
            link_reviews::checked_wise.eq(None::<Vec<u8>>),
        ))
        .execute(conn)?;
    diesel::delete(outbox::table.filter(outbox::link_id.eq_any(ids))).execute(conn)?;
    diesel::delete(authorization_states::table.filter(authorization_states::link_id.eq_any(ids)))
        .execute(conn)?;
    Ok(())
}

/// Whose reasons a person typed: staff, and the partner through the API. Other actors (the
/// customer's requests, Wise, wiselink's workers) give reasons from a fixed set.
const TYPED_BY: [&str; 2] = ["staff:%", "api_key:%"];

/// The events that carry a typed reason: review decisions and unlinks.
const TYPED_EVENTS: [LinkEvent; 4] = [
    LinkEvent::StaffApproved,
    LinkEvent::StaffRejected,
    LinkEvent::StaffUnlocked,
    LinkEvent::Unlinked,
];

/// Replaces each reason a person typed on these links' events by its digest: the decision, who
/// made it and when stay; what was written, which may name the customer, goes. The row's seal and
/// chain entry commit to the digest, so the trail still verifies (`link_events_append_only`
/// allows this one change).
fn erase_typed_reasons(
    conn: &mut DbConnection,
    ids: &[LinkId],
) -> Result<(), diesel::result::Error> {
    let typed: Vec<(i64, Option<String>)> = link_events::table
        .filter(link_events::link_id.eq_any(ids))
        .filter(link_events::reason.is_not_null())
        .filter(link_events::erased.is_null())
        .filter(link_events::event.eq_any(TYPED_EVENTS.map(LinkEvent::as_str)))
        .filter(
            link_events::actor
                .like(TYPED_BY[0])
                .or(link_events::actor.like(TYPED_BY[1])),
        )
        .select((link_events::id, link_events::reason))
        .load(conn)?;
    for (id, reason) in typed {
        let Some(reason) = reason else { continue };
        let erased = encode_erased(&vec![erase_field(LINK_EVENT_REASON, &reason)]);
        diesel::update(link_events::table.find(id))
            .set((
                link_events::reason.eq(None::<String>),
                link_events::erased.eq(Some(erased)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The final states, as `links_retention_due` names them.
const FINAL_STATES: &str = "links.state IN ('rejected', 'unlinked', 'expired')";

/// Erases the personal data of up to `limit` final links that have not changed since `before`,
/// oldest first (`links_retention_due`), with their stored answers, in one transaction. Returns
/// how many; fewer than `limit` means none is left.
pub fn erase_retained(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    limit: i64,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    conn.write_transaction(|c| {
        let due: Vec<LinkId> = links::table
            .filter(links::personal_data_erased_at.is_null())
            // Written out as the partial index's own predicate, so PostgreSQL can use it (a bound
            // array would not prove the index applies).
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(FINAL_STATES))
            .filter(links::updated_at.lt(before))
            .order(links::updated_at.asc())
            .limit(limit)
            .select(links::id)
            .load(c)?;
        scrub_links(c, &due, now)?;
        let subjects: Vec<String> = due.iter().map(|l| format!("link:{l}")).collect();
        idempotency::forget_subjects(c, &subjects)?;
        Ok::<_, DbError>(due.len())
    })
}

/// After an erasure, or a key rotation, committed: on SQLite the write-ahead log still holds the
/// pages as they were before (personal data, values sealed with the old key), so it is
/// checkpointed into the file (whose freed space `secure_delete` zeroed) and truncated. A reader
/// holding an old snapshot can keep the log from emptying; the next erasure, or SQLite's own
/// checkpoint, finishes it. PostgreSQL reclaims dead row versions by (auto)vacuum.
pub fn flush_freed(conn: &mut DbConnection) -> Result<(), DbError> {
    if let DbConnection::Sqlite(sqlite) = conn {
        use diesel::connection::SimpleConnection;
        sqlite.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::domain::LinkState;

    #[test]
    fn the_final_states_are_the_domains() {
        let finals: Vec<&str> = LinkState::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .map(LinkState::as_str)
            .collect();
        assert_eq!(
            super::FINAL_STATES,
            format!("links.state IN ('{}')", finals.join("', '"))
        );
    }
}
