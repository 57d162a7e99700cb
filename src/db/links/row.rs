//! The link record as read (its row joined with its token upkeep and review rows), as inserted,
//! and the columns a transition may change.

use crate::db::schema::{link_reviews, link_tokens, links};
use crate::domain::{
    CustomerId, LinkFlow, LinkId, LinkOrigin, LinkState, ReviewReason, WiseProfileId, WiseUserId,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::deserialize::FromStaticSqlRow;
use diesel::dsl::InnerJoin;
use diesel::prelude::*;

/// A link as read: its own row joined with its token upkeep and its review record (one row each
/// per link, written with the link). Fields in the order of [`linked`]'s columns, which both
/// backends read by position.
#[derive(Clone)]
pub struct LinkRow {
    pub id: LinkId,
    pub customer_id: CustomerId,
    pub flow: LinkFlow,
    pub origin: Option<LinkOrigin>,
    /// An unknown stored state fails the read instead of becoming another state.
    pub state: LinkState,
    pub signup_email: String,
    pub registration_code: Option<Vec<u8>>,
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
    /// Redirect flow: where the browser goes after Wise's page (an allowed `links.return_urls`).
    pub return_url: Option<String>,
    /// When the customer claimed the Wise account the partner created.
    pub claimed_at: Option<NaiveDateTime>,
    /// What Wise last said of the linked user (`active`, `withdraw_only`, `deactivated`), the day
    /// a withdraw-only user will be deactivated, and the profile's verification.
    pub wise_user_state: Option<String>,
    pub wise_user_deactivates_on: Option<NaiveDate>,
    pub profile_verification: Option<String>,
    /// Why the link is in its state ([`crate::domain::reasons_into`]).
    pub state_reason: Option<String>,
    /// When the link's personal data was erased (the customer's erasure, or retention).
    pub personal_data_erased_at: Option<NaiveDateTime>,
    /// "This wasn't me": the SHA-256 of the one-time token in the "linked" email, and its expiry.
    pub dispute_token_hash: Option<Vec<u8>>,
    pub dispute_expires_at: Option<NaiveDateTime>,
    /// When an import brought the link (`None` for a link started here).
    pub imported_at: Option<NaiveDateTime>,
    // `link_tokens`
    pub access_token: Option<Vec<u8>>,
    pub refresh_token: Option<Vec<u8>>,
    pub access_expires_at: Option<NaiveDateTime>,
    /// Token upkeep ([`refresh`](super::refresh)): the lease generation, who holds it until when,
    /// when the refresher next takes the link, the failures so far, since when they fail, when
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
    // `link_reviews`
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
}

/// A link with its two side rows: what every read of a whole link selects from (its default
/// columns are `links`', `link_tokens`' and `link_reviews`' in that order).
pub type Linked = InnerJoin<InnerJoin<links::table, link_tokens::table>, link_reviews::table>;

pub fn linked() -> Linked {
    links::table
        .inner_join(link_tokens::table)
        .inner_join(link_reviews::table)
}

/// [`Linked`]'s columns, for selects that join more tables.
pub type LinkColumns = (
    <links::table as Table>::AllColumns,
    <link_tokens::table as Table>::AllColumns,
    <link_reviews::table as Table>::AllColumns,
);

pub const LINK_COLUMNS: LinkColumns = (
    links::all_columns,
    link_tokens::all_columns,
    link_reviews::all_columns,
);

/// `links::all_columns`.
#[derive(Queryable)]
pub struct OwnRow {
    id: LinkId,
    customer_id: CustomerId,
    flow: LinkFlow,
    origin: Option<LinkOrigin>,
    state: LinkState,
    signup_email: String,
    registration_code: Option<Vec<u8>>,
    wise_user_id: Option<WiseUserId>,
    wise_profile_id: Option<WiseProfileId>,
    attempts_remaining: i32,
    code_expires_at: Option<NaiveDateTime>,
    session_token_hash: Option<Vec<u8>>,
    last_resend_at: Option<NaiveDateTime>,
    resend_window_start: Option<NaiveDateTime>,
    resends_in_window: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    return_url: Option<String>,
    claimed_at: Option<NaiveDateTime>,
    wise_user_state: Option<String>,
    wise_user_deactivates_on: Option<NaiveDate>,
    profile_verification: Option<String>,
    state_reason: Option<String>,
    personal_data_erased_at: Option<NaiveDateTime>,
    dispute_token_hash: Option<Vec<u8>>,
    dispute_expires_at: Option<NaiveDateTime>,
    imported_at: Option<NaiveDateTime>,
}

/// `link_tokens::all_columns`.
#[derive(Queryable)]
pub struct UpkeepRow {
    _link_id: LinkId,
    access_token: Option<Vec<u8>>,
    refresh_token: Option<Vec<u8>>,
    access_expires_at: Option<NaiveDateTime>,
    refresh_generation: i64,
    refresh_leased_until: Option<NaiveDateTime>,
    refresh_due_at: Option<NaiveDateTime>,
    refresh_failures: i32,
    refresh_failing_since: Option<NaiveDateTime>,
    refresh_flagged_at: Option<NaiveDateTime>,
    refresh_in_doubt_at: Option<NaiveDateTime>,
    refreshed_at: Option<NaiveDateTime>,
}

/// `link_reviews::all_columns`.
#[derive(Queryable)]
pub struct ReviewRow {
    _link_id: LinkId,
    review_reason: Option<ReviewReason>,
    checked_at: Option<NaiveDateTime>,
    checked_partner_dob: Option<NaiveDate>,
    checked_partner_email: Option<String>,
    checked_wise: Option<Vec<u8>>,
    approvals: i32,
    first_approved_by: Option<String>,
}

impl<ST, DB> Queryable<ST, DB> for LinkRow
where
    DB: Backend,
    (OwnRow, UpkeepRow, ReviewRow): FromStaticSqlRow<ST, DB>,
{
    type Row = (OwnRow, UpkeepRow, ReviewRow);

    fn build((own, upkeep, review): Self::Row) -> diesel::deserialize::Result<Self> {
        Ok(LinkRow {
            id: own.id,
            customer_id: own.customer_id,
            flow: own.flow,
            origin: own.origin,
            state: own.state,
            signup_email: own.signup_email,
            registration_code: own.registration_code,
            wise_user_id: own.wise_user_id,
            wise_profile_id: own.wise_profile_id,
            attempts_remaining: own.attempts_remaining,
            code_expires_at: own.code_expires_at,
            session_token_hash: own.session_token_hash,
            last_resend_at: own.last_resend_at,
            resend_window_start: own.resend_window_start,
            resends_in_window: own.resends_in_window,
            created_at: own.created_at,
            updated_at: own.updated_at,
            return_url: own.return_url,
            claimed_at: own.claimed_at,
            wise_user_state: own.wise_user_state,
            wise_user_deactivates_on: own.wise_user_deactivates_on,
            profile_verification: own.profile_verification,
            state_reason: own.state_reason,
            personal_data_erased_at: own.personal_data_erased_at,
            dispute_token_hash: own.dispute_token_hash,
            dispute_expires_at: own.dispute_expires_at,
            imported_at: own.imported_at,
            access_token: upkeep.access_token,
            refresh_token: upkeep.refresh_token,
            access_expires_at: upkeep.access_expires_at,
            refresh_generation: upkeep.refresh_generation,
            refresh_leased_until: upkeep.refresh_leased_until,
            refresh_due_at: upkeep.refresh_due_at,
            refresh_failures: upkeep.refresh_failures,
            refresh_failing_since: upkeep.refresh_failing_since,
            refresh_flagged_at: upkeep.refresh_flagged_at,
            refresh_in_doubt_at: upkeep.refresh_in_doubt_at,
            refreshed_at: upkeep.refreshed_at,
            review_reason: review.review_reason,
            checked_at: review.checked_at,
            checked_partner_dob: review.checked_partner_dob,
            checked_partner_email: review.checked_partner_email,
            checked_wise: review.checked_wise,
            approvals: review.approvals,
            first_approved_by: review.first_approved_by,
        })
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

pub use super::changes::{LinkChanges, OwnChanges, ReviewChanges, TokenChanges};
