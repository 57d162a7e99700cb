//! The columns a transition may change besides the state, over the link's three tables, and the
//! part each table takes.

use crate::db::schema::{link_reviews, link_tokens, links};
use crate::domain::{LinkFlow, LinkOrigin, ReviewReason, WiseProfileId, WiseUserId};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// Declares [`LinkChanges`] (every column a transition may change besides the state) and, per
/// table, the part of it that table takes.
macro_rules! link_changes {
    ($($(#[$doc:meta])* $part:ident for $table:ident { $($field:ident: $ty:ty,)* })*) => {
        /// Columns a transition may change besides the state, over the link's three tables.
        /// `None` leaves a column alone; `Some(None)` clears it.
        #[derive(Default, Clone)]
        pub struct LinkChanges {
            $($(pub $field: Option<$ty>,)*)*
        }

        impl LinkChanges {
            /// These changes followed by `later`'s: where both set a column, `later` wins.
            pub fn then(self, later: LinkChanges) -> LinkChanges {
                LinkChanges { $($($field: later.$field.or(self.$field),)*)* }
            }

            /// The changes per table.
            pub fn split(self) -> ($($part,)*) {
                ($($part { $($field: self.$field,)* },)*)
            }
        }

        $(
            $(#[$doc])*
            #[derive(Default, Clone, AsChangeset)]
            #[diesel(table_name = $table)]
            pub struct $part {
                $(pub $field: Option<$ty>,)*
            }

            impl $part {
                /// Changes nothing (an empty `SET` is not a statement).
                pub fn is_empty(&self) -> bool {
                    true $(&& self.$field.is_none())*
                }

                /// These changes followed by `later`'s: where both set a column, `later` wins.
                pub fn then(self, later: $part) -> $part {
                    $part { $($field: later.$field.or(self.$field),)* }
                }
            }

            impl From<$part> for LinkChanges {
                fn from(part: $part) -> LinkChanges {
                    LinkChanges { $($field: part.$field,)* ..LinkChanges::default() }
                }
            }
        )*
    };
}

link_changes! {
    /// What changes in `links`.
    OwnChanges for links {
        flow: LinkFlow,
        signup_email: String,
        return_url: Option<String>,
        origin: LinkOrigin,
        registration_code: Option<Vec<u8>>,
        wise_user_id: Option<WiseUserId>,
        wise_profile_id: Option<WiseProfileId>,
        attempts_remaining: i32,
        code_expires_at: Option<NaiveDateTime>,
        session_token_hash: Option<Vec<u8>>,
        last_resend_at: Option<NaiveDateTime>,
        resend_window_start: Option<NaiveDateTime>,
        resends_in_window: i32,
        claimed_at: Option<NaiveDateTime>,
        wise_user_state: Option<String>,
        wise_user_deactivates_on: Option<NaiveDate>,
        profile_verification: Option<String>,
        state_reason: Option<String>,
        dispute_token_hash: Option<Vec<u8>>,
        dispute_expires_at: Option<NaiveDateTime>,
    }
    /// What changes in `link_tokens`: all a refresh ever writes.
    TokenChanges for link_tokens {
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
    /// What changes in `link_reviews`.
    ReviewChanges for link_reviews {
        review_reason: Option<ReviewReason>,
        checked_at: Option<NaiveDateTime>,
        checked_partner_dob: Option<NaiveDate>,
        checked_partner_email: Option<String>,
        checked_wise: Option<Vec<u8>>,
        approvals: i32,
        first_approved_by: Option<String>,
    }
}
