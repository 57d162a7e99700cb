//! The link row as read, as inserted, and the columns a transition may change.

use crate::db::schema::links;
use crate::domain::{
    CustomerId, LinkFlow, LinkId, LinkOrigin, LinkState, ReviewReason, WiseProfileId, WiseUserId,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A link as stored. Fields in the table's column order (`links::all_columns`), which both
/// backends read by position.
#[derive(Clone, Queryable)]
pub struct LinkRow {
    pub id: LinkId,
    pub customer_id: CustomerId,
    pub flow: LinkFlow,
    pub origin: Option<LinkOrigin>,
    /// An unknown stored state fails the read instead of becoming another state.
    pub state: LinkState,
    pub signup_email: String,
    pub registration_code: Option<Vec<u8>>,
    pub access_token: Option<Vec<u8>>,
    pub refresh_token: Option<Vec<u8>>,
    pub access_expires_at: Option<NaiveDateTime>,
    pub wise_user_id: Option<WiseUserId>,
    pub wise_profile_id: Option<WiseProfileId>,
    pub attempts_remaining: i32,
    pub code_expires_at: Option<NaiveDateTime>,
    pub session_token_hash: Option<Vec<u8>>,
    pub last_resend_at: Option<NaiveDateTime>,
    pub resend_window_start: Option<NaiveDateTime>,
    pub resends_in_window: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Why the link awaits staff (`needs_review`), as the last identity check found.
    pub review_reason: Option<ReviewReason>,
    /// The last identity check: when, and the partner's values it compared.
    pub checked_at: Option<NaiveDateTime>,
    pub checked_partner_dob: Option<NaiveDate>,
    pub checked_partner_email: Option<String>,
    /// Wise's side of the comparison ([`WiseSide`](crate::domain::WiseSide)), sealed.
    pub checked_wise: Option<Vec<u8>>,
    /// Approvals given in this review (four-eyes), and by whom the first.
    pub approvals: i32,
    pub first_approved_by: Option<String>,
    /// Token upkeep ([`refresh`](super::refresh)): the lease generation, who holds it until when,
    /// when a failed refresh may be tried again, the failures so far, since when they fail, when
    /// the link was flagged `refresh_failing`, whether the last answer was lost, and the last
    /// refresh that worked.
    pub refresh_generation: i64,
    pub refresh_leased_until: Option<NaiveDateTime>,
    pub refresh_due_at: Option<NaiveDateTime>,
    pub refresh_failures: i32,
    pub refresh_failing_since: Option<NaiveDateTime>,
    pub refresh_flagged_at: Option<NaiveDateTime>,
    pub refresh_in_doubt_at: Option<NaiveDateTime>,
    pub refreshed_at: Option<NaiveDateTime>,
    /// Redirect flow: where the browser goes after Wise's page (an allowed `links.return_urls`).
    pub return_url: Option<String>,
    /// When the customer claimed the Wise account the partner created.
    pub claimed_at: Option<NaiveDateTime>,
}

impl LinkRow {
    /// When Wise last emailed this link a code: the last resend, or the link's start.
    pub fn last_email_at(&self) -> NaiveDateTime {
        self.last_resend_at.unwrap_or(self.created_at)
    }
}

/// A new link; it always starts `pending` ([`insert`](super::insert) writes the state).
#[derive(Insertable)]
// NULL rather than DEFAULT for `None`: one SQL text, so the prepared statement is cached.
#[diesel(table_name = links, treat_none_as_default_value = false)]
pub struct NewLink<'a> {
    pub id: &'a LinkId,
    pub customer_id: CustomerId,
    pub flow: LinkFlow,
    pub signup_email: &'a str,
    pub registration_code: Option<&'a [u8]>,
    pub return_url: Option<&'a str>,
    pub attempts_remaining: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Columns a transition may change besides the state. `None` leaves a column alone;
/// `Some(None)` clears it.
#[derive(Default, Clone, AsChangeset)]
#[diesel(table_name = links)]
pub struct LinkChanges {
    pub flow: Option<LinkFlow>,
    pub signup_email: Option<String>,
    pub return_url: Option<Option<String>>,
    pub origin: Option<LinkOrigin>,
    pub registration_code: Option<Option<Vec<u8>>>,
    pub access_token: Option<Option<Vec<u8>>>,
    pub refresh_token: Option<Option<Vec<u8>>>,
    pub access_expires_at: Option<Option<NaiveDateTime>>,
    pub wise_user_id: Option<Option<WiseUserId>>,
    pub wise_profile_id: Option<Option<WiseProfileId>>,
    pub attempts_remaining: Option<i32>,
    pub code_expires_at: Option<Option<NaiveDateTime>>,
    pub session_token_hash: Option<Option<Vec<u8>>>,
    pub last_resend_at: Option<Option<NaiveDateTime>>,
    pub resend_window_start: Option<Option<NaiveDateTime>>,
    pub resends_in_window: Option<i32>,
    pub review_reason: Option<Option<ReviewReason>>,
    pub checked_at: Option<Option<NaiveDateTime>>,
    pub checked_partner_dob: Option<Option<NaiveDate>>,
    pub checked_partner_email: Option<Option<String>>,
    pub checked_wise: Option<Option<Vec<u8>>>,
    pub approvals: Option<i32>,
    pub first_approved_by: Option<Option<String>>,
    pub refresh_generation: Option<i64>,
    pub refresh_leased_until: Option<Option<NaiveDateTime>>,
    pub refresh_due_at: Option<Option<NaiveDateTime>>,
    pub refresh_failures: Option<i32>,
    pub refresh_failing_since: Option<Option<NaiveDateTime>>,
    pub refresh_flagged_at: Option<Option<NaiveDateTime>>,
    pub refresh_in_doubt_at: Option<Option<NaiveDateTime>>,
    pub refreshed_at: Option<Option<NaiveDateTime>>,
    pub claimed_at: Option<Option<NaiveDateTime>>,
}

impl LinkChanges {
    /// These changes followed by `later`'s: where both set a column, `later` wins.
    pub fn then(self, later: LinkChanges) -> LinkChanges {
        LinkChanges {
            flow: later.flow.or(self.flow),
            signup_email: later.signup_email.or(self.signup_email),
            return_url: later.return_url.or(self.return_url),
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
            last_resend_at: later.last_resend_at.or(self.last_resend_at),
            resend_window_start: later.resend_window_start.or(self.resend_window_start),
            resends_in_window: later.resends_in_window.or(self.resends_in_window),
            review_reason: later.review_reason.or(self.review_reason),
            checked_at: later.checked_at.or(self.checked_at),
            checked_partner_dob: later.checked_partner_dob.or(self.checked_partner_dob),
            checked_partner_email: later.checked_partner_email.or(self.checked_partner_email),
            checked_wise: later.checked_wise.or(self.checked_wise),
            approvals: later.approvals.or(self.approvals),
            first_approved_by: later.first_approved_by.or(self.first_approved_by),
            refresh_generation: later.refresh_generation.or(self.refresh_generation),
            refresh_leased_until: later.refresh_leased_until.or(self.refresh_leased_until),
            refresh_due_at: later.refresh_due_at.or(self.refresh_due_at),
            refresh_failures: later.refresh_failures.or(self.refresh_failures),
            refresh_failing_since: later.refresh_failing_since.or(self.refresh_failing_since),
            refresh_flagged_at: later.refresh_flagged_at.or(self.refresh_flagged_at),
            refresh_in_doubt_at: later.refresh_in_doubt_at.or(self.refresh_in_doubt_at),
            refreshed_at: later.refreshed_at.or(self.refreshed_at),
            claimed_at: later.claimed_at.or(self.claimed_at),
        }
    }
}
