//! Why a link waits for support staff, what its identity check compared, and the hints a
//! reviewer gets when two dates of birth differ.

use super::{Invalid, WiseProfileId, WiseUserId};
use chrono::{Datelike, NaiveDate};
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why the identity check could not vouch for a link: what a partner's back office and the
/// staff queue filter on.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    AsExpression,
    FromSqlRow,
    utoipa::ToSchema,
)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// The personal profile's date of birth is not the partner's.
    DobMismatch,
    /// The personal profile has no date of birth.
    DobMissing,
    /// The Wise account has only business profiles.
    BusinessOnly,
    /// The Wise account's email is not the one the link signed up with.
    EmailMismatch,
    /// Another Wise user than the one the customer's earlier link was verified with.
    DifferentWiseUser,
    /// Wise refused to list the account's profiles (a 4xx from `/v2/profiles`): whether it has
    /// a personal profile, and its date of birth, could not be read. (`/v1/me`'s details, if any,
    /// are shown to the reviewer.)
    ProfileUnreadable,
    /// The Wise user is already actively linked to another of the partner's customers: two
    /// customers on one Wise account fight over its tokens, and it is a fraud signal. The link
    /// holds no tokens (they went to the active link, or were never asked for), so it can only be
    /// rejected.
    WiseUserLinkedElsewhere,
    /// The owner of the Wise account followed "this wasn't me" in the "linked" email: the link's
    /// tokens are gone, so it can only be rejected; staff find out what happened.
    CustomerDisputed,
}

impl ReviewReason {
    pub const ALL: [ReviewReason; 8] = [
        Self::DobMismatch,
        Self::DobMissing,
        Self::BusinessOnly,
        Self::EmailMismatch,
        Self::DifferentWiseUser,
        Self::ProfileUnreadable,
        Self::WiseUserLinkedElsewhere,
        Self::CustomerDisputed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DobMismatch => "dob_mismatch",
            Self::DobMissing => "dob_missing",
            Self::BusinessOnly => "business_only",
            Self::EmailMismatch => "email_mismatch",
            Self::DifferentWiseUser => "different_wise_user",
            Self::ProfileUnreadable => "profile_unreadable",
            Self::WiseUserLinkedElsewhere => "wise_user_linked_elsewhere",
            Self::CustomerDisputed => "customer_disputed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// A sentence for the audit trail and the staff screen.
    pub fn describe(self) -> &'static str {
        match self {
            Self::DobMismatch => "date of birth differs",
            Self::DobMissing => "the Wise profile has no date of birth",
            Self::BusinessOnly => "the Wise account has only business profiles",
            Self::EmailMismatch => "the Wise account's email differs from the signup email",
            Self::DifferentWiseUser => "a different Wise user than the customer's earlier link",
            Self::ProfileUnreadable => "Wise refused to list the account's profiles",
            Self::WiseUserLinkedElsewhere => {
                "the Wise user is already linked to another customer (reject; the other link keeps working)"
            }
            Self::CustomerDisputed => {
                "the Wise account's owner said they did not link it (\"this wasn't me\" in the linked email); the tokens are gone: reject, and find out who started the link"
            }
        }
    }
}

impl fmt::Display for ReviewReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why someone decided a link as they did: what the audit trail keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionReason(String);

impl DecisionReason {
    pub const MAX_CHARS: usize = 500;

    /// Trimmed; 3 to 500 characters; no control characters but line breaks.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let reason = raw.trim();
        let chars = reason.chars().count();
        if chars < 3 {
            return Err(Invalid::new(
                "required",
                "reason is required: say in a few words why",
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(Invalid::new(
                "too_long",
                format!("reason must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if reason
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
        {
            return Err(Invalid::new(
                "invalid_characters",
                "reason must not contain control characters",
            ));
        }
        Ok(Self(reason.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Wise's side of an identity check, as stored (sealed) with the link for staff to see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WiseSide {
    pub user_id: WiseUserId,
    pub profile_id: Option<WiseProfileId>,
    /// `personal` or `business`: the profile the check looked at.
    pub profile_type: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub email: Option<String>,
}

/// What a reviewer is told about two dates of birth that differ: the usual slips of a typed date.
pub fn dob_hint(partner: NaiveDate, wise: NaiveDate) -> Option<&'static str> {
    if partner == wise {
        return None;
    }
    if partner.year() == wise.year()
        && partner.day() == wise.month()
        && partner.month() == wise.day()
    {
        return Some("day and month swapped?");
    }
    if partner.month() == wise.month()
        && partner.day() == wise.day()
        && (partner.year() - wise.year()).abs() == 1
    {
        return Some("one year apart?");
    }
    let digits = |d: NaiveDate| d.format("%Y%m%d").to_string().into_bytes();
    let differing = digits(partner)
        .iter()
        .zip(digits(wise))
        .filter(|(a, b)| **a != *b)
        .count();
    (differing == 1).then_some("one digit differs: a typo?")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn hints() {
        let cases = [
            ("1990-04-12", "1990-12-04", Some("day and month swapped?")),
            ("1990-04-12", "1991-04-12", Some("one year apart?")),
            ("1990-04-12", "1989-04-12", Some("one year apart?")),
            (
                "1990-04-12",
                "1990-04-13",
                Some("one digit differs: a typo?"),
            ),
            (
                "1990-04-12",
                "1980-04-12",
                Some("one digit differs: a typo?"),
            ),
            ("1990-04-12", "1975-09-30", None),
            ("1990-04-12", "1990-04-12", None),
            // Same day and month: swapping them changes nothing, so no swap hint.
            ("1990-05-05", "1990-05-05", None),
        ];
        for (partner, wise, hint) in cases {
            assert_eq!(dob_hint(d(partner), d(wise)), hint, "{partner} vs {wise}");
        }
    }

    #[test]
    fn decision_reasons() {
        assert_eq!(
            DecisionReason::parse("  DOB typo confirmed by phone ")
                .unwrap()
                .as_str(),
            "DOB typo confirmed by phone"
        );
        for (raw, code) in [
            ("", "required"),
            ("  ok ", "required"),
            ("bad\u{0}reason", "invalid_characters"),
        ] {
            assert_eq!(
                DecisionReason::parse(raw).unwrap_err().code,
                code,
                "{raw:?}"
            );
        }
        assert_eq!(
            DecisionReason::parse(&"x".repeat(501)).unwrap_err().code,
            "too_long"
        );
    }

    #[test]
    fn reasons_round_trip() {
        for r in ReviewReason::ALL {
            assert_eq!(ReviewReason::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::Value::from(r.as_str())
            );
        }
    }
}
