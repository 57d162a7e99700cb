//! The identity check after linking an existing Wise account: is it the same natural person?

use super::{DateOfBirth, EmailAddress, LinkEvent, WiseProfileId, WiseUserId};
use chrono::NaiveDate;

/// What Wise told us about the account, reduced to what the check needs.
#[derive(Debug, Clone)]
pub struct WiseIdentity {
    pub user_id: WiseUserId,
    pub email: Option<String>,
    /// Each profile the token can see.
    pub profiles: Vec<WiseProfile>,
}

/// One profile as the check sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WiseProfile {
    /// `None` when the profile was read from `/v1/me`, which names no profile id.
    pub id: Option<WiseProfileId>,
    pub personal: bool,
    pub date_of_birth: Option<NaiveDate>,
}

/// The verdict, with the profile to remember and a reason for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub event: LinkEvent,
    pub profile_id: Option<WiseProfileId>,
    pub reason: &'static str,
}

/// `IdentityMatched` only when the personal profile's DOB equals the partner's DOB, the Wise
/// email equals the email used at signup, and the Wise user is the one pinned for the customer (if
/// any). No profile at all is `NoProfile` (Wise requires rejecting it); anything else doubtful
/// goes to staff review.
pub fn assess(
    dob: DateOfBirth,
    signup_email: &EmailAddress,
    pinned_user: Option<WiseUserId>,
    wise: &WiseIdentity,
) -> Assessment {
    let doubtful = |reason, profile_id| Assessment {
        event: LinkEvent::IdentityDoubtful,
        profile_id,
        reason,
    };
    if wise.profiles.is_empty() {
        return Assessment {
            event: LinkEvent::NoProfile,
            profile_id: None,
            reason: "the Wise account has no profile",
        };
    }
    let Some(personal) = wise.profiles.iter().find(|p| p.personal) else {
        return doubtful(
            "the Wise account has only business profiles",
            wise.profiles.first().and_then(|p| p.id),
        );
    };
    let (profile, profile_dob) = (personal.id, personal.date_of_birth);
    if pinned_user.is_some_and(|pinned| pinned != wise.user_id) {
        return doubtful(
            "a different Wise user than the customer's earlier link",
            profile,
        );
    }
    let Some(profile_dob) = profile_dob else {
        return doubtful("the Wise profile has no date of birth", profile);
    };
    if profile_dob != dob.date() {
        return doubtful("date of birth differs", profile);
    }
    if !wise
        .email
        .as_deref()
        .is_some_and(|e| signup_email.same_mailbox(e))
    {
        return doubtful(
            "the Wise account's email differs from the signup email",
            profile,
        );
    }
    Assessment {
        event: LinkEvent::IdentityMatched,
        profile_id: profile,
        reason: "date of birth and email match",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dob(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn table() {
        let customer_dob = DateOfBirth::from_stored(dob("1990-04-17"));
        let email = EmailAddress::parse("ada@example.com").unwrap();
        let personal = |d: Option<&str>| WiseProfile {
            id: Some(WiseProfileId::new(10)),
            personal: true,
            date_of_birth: d.map(dob),
        };
        let business = WiseProfile {
            id: Some(WiseProfileId::new(11)),
            personal: false,
            date_of_birth: None,
        };
        let identity = |email: &str, profiles: Vec<WiseProfile>| WiseIdentity {
            user_id: WiseUserId::new(7),
            email: Some(email.into()),
            profiles,
        };
        type Case = (
            &'static str,
            Option<i64>,
            WiseIdentity,
            LinkEvent,
            Option<i64>,
        );
        let cases: Vec<Case> = vec![
            (
                "match",
                None,
                identity("ada@example.com", vec![personal(Some("1990-04-17"))]),
                LinkEvent::IdentityMatched,
                Some(10),
            ),
            (
                "email case",
                Some(7),
                identity(
                    "ADA@Example.com",
                    vec![business, personal(Some("1990-04-17"))],
                ),
                LinkEvent::IdentityMatched,
                Some(10),
            ),
            (
                "dob differs",
                None,
                identity("ada@example.com", vec![personal(Some("1990-04-18"))]),
                LinkEvent::IdentityDoubtful,
                Some(10),
            ),
            (
                "dob missing",
                None,
                identity("ada@example.com", vec![personal(None)]),
                LinkEvent::IdentityDoubtful,
                Some(10),
            ),
            (
                "business only",
                None,
                identity("ada@example.com", vec![business]),
                LinkEvent::IdentityDoubtful,
                Some(11),
            ),
            (
                "email differs",
                None,
                identity("other@example.com", vec![personal(Some("1990-04-17"))]),
                LinkEvent::IdentityDoubtful,
                Some(10),
            ),
            (
                "other pinned user",
                Some(8),
                identity("ada@example.com", vec![personal(Some("1990-04-17"))]),
                LinkEvent::IdentityDoubtful,
                Some(10),
            ),
            (
                "no profile",
                None,
                identity("ada@example.com", vec![]),
                LinkEvent::NoProfile,
                None,
            ),
        ];
        for (name, pinned, wise, event, profile) in cases {
            let got = assess(customer_dob, &email, pinned.map(WiseUserId::new), &wise);
            assert_eq!(
                (got.event, got.profile_id),
                (event, profile.map(WiseProfileId::new)),
                "{name}: {}",
                got.reason
            );
        }
        let no_email = WiseIdentity {
            user_id: WiseUserId::new(7),
            email: None,
            profiles: vec![personal(Some("1990-04-17"))],
        };
        assert_eq!(
            assess(customer_dob, &email, None, &no_email).event,
            LinkEvent::IdentityDoubtful
        );
    }
}
