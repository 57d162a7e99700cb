//! The identity check after linking an existing Wise account: is it the same natural person?

use super::{
    DateOfBirth, EmailAddress, LinkEvent, ReviewReason, WiseProfileId, WiseSide, WiseUserId,
};
use chrono::NaiveDate;

/// What Wise told us about the account, reduced to what the check needs.
#[derive(Debug, Clone)]
pub struct WiseIdentity {
    pub user_id: WiseUserId,
    pub email: Option<String>,
    /// Each profile the token can see.
    pub profiles: Vec<WiseProfile>,
    /// Whether `profiles` is Wise's list of profiles. `false` when Wise refused to list them
    /// and `profiles` holds at most what `/v1/me` mirrors: nothing is vouched for then.
    pub profiles_listed: bool,
}

/// One profile as the check sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WiseProfile {
    /// `None` when the profile was read from `/v1/me`, which names no profile id.
    pub id: Option<WiseProfileId>,
    pub personal: bool,
    pub date_of_birth: Option<NaiveDate>,
}

/// The verdict, with the profile to remember, a reason for the audit trail, why staff must
/// look (for `IdentityDoubtful`), and Wise's side of what was compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub event: LinkEvent,
    pub profile_id: Option<WiseProfileId>,
    pub reason: &'static str,
    pub review_reason: Option<ReviewReason>,
    pub wise: WiseSide,
}

/// `IdentityMatched` only when the personal profile's DOB equals the partner's DOB, the Wise
/// email equals the email used at signup, and the Wise user is the one pinned for the customer (if
/// any). No profile at all is `NoProfile` (Wise requires rejecting it); anything else doubtful —
/// profiles Wise would not list included — goes to staff review.
pub fn assess(
    dob: DateOfBirth,
    signup_email: &EmailAddress,
    pinned_user: Option<WiseUserId>,
    wise: &WiseIdentity,
) -> Assessment {
    let looked_at = wise
        .profiles
        .iter()
        .find(|p| p.personal)
        .or(wise.profiles.first());
    let side = WiseSide {
        user_id: wise.user_id,
        profile_id: looked_at.and_then(|p| p.id),
        profile_type: looked_at
            .map(|p| if p.personal { "personal" } else { "business" }.to_owned()),
        date_of_birth: looked_at.and_then(|p| p.date_of_birth),
        email: wise.email.clone(),
    };
    let verdict = |event, reason, review_reason| Assessment {
        event,
        profile_id: side.profile_id,
        reason,
        review_reason,
        wise: side.clone(),
    };
    let doubtful =
        |why: ReviewReason| verdict(LinkEvent::IdentityDoubtful, why.describe(), Some(why));
    if !wise.profiles_listed {
        return doubtful(ReviewReason::ProfileUnreadable);
    }
    let Some(personal) = looked_at else {
        return verdict(
            LinkEvent::NoProfile,
            "the Wise account has no profile",
            None,
        );
    };
    if !personal.personal {
        return doubtful(ReviewReason::BusinessOnly);
    }
    if pinned_user.is_some_and(|pinned| pinned != wise.user_id) {
        return doubtful(ReviewReason::DifferentWiseUser);
    }
    let Some(profile_dob) = personal.date_of_birth else {
        return doubtful(ReviewReason::DobMissing);
    };
    if profile_dob != dob.date() {
        return doubtful(ReviewReason::DobMismatch);
    }
    if !wise
        .email
        .as_deref()
        .is_some_and(|e| signup_email.same_mailbox(e))
    {
        return doubtful(ReviewReason::EmailMismatch);
    }
    verdict(
        LinkEvent::IdentityMatched,
        "date of birth and email match",
        None,
    )
}

impl Assessment {
    /// For an imported link: a match stands only if Wise's user and personal profile are the ones
    /// the partner's records named; otherwise staff look (`different_wise_user`).
    pub fn expecting(self, user: WiseUserId, profile: WiseProfileId) -> Self {
        let named = self.wise.user_id == user && self.profile_id == Some(profile);
        if self.event != LinkEvent::IdentityMatched || named {
            return self;
        }
        Self {
            event: LinkEvent::IdentityDoubtful,
            reason: "a different Wise user or profile than the import named",
            review_reason: Some(ReviewReason::DifferentWiseUser),
            ..self
        }
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
            profiles_listed: true,
        };
        let unlisted = |profiles: Vec<WiseProfile>| WiseIdentity {
            profiles_listed: false,
            ..identity("ada@example.com", profiles)
        };
        let from_me = WiseProfile {
            id: None,
            ..personal(Some("1990-04-17"))
        };
        type Case = (
            &'static str,
            Option<i64>,
            WiseIdentity,
            LinkEvent,
            Option<i64>,
            Option<ReviewReason>,
        );
        let cases: Vec<Case> = vec![
            (
                "match",
                None,
                identity("ada@example.com", vec![personal(Some("1990-04-17"))]),
                LinkEvent::IdentityMatched,
                Some(10),
                None,
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
                None,
            ),
            (
                "dob differs",
                None,
                identity("ada@example.com", vec![personal(Some("1990-04-18"))]),
                LinkEvent::IdentityDoubtful,
                Some(10),
                Some(ReviewReason::DobMismatch),
            ),
            (
                "dob missing",
                None,
                identity("ada@example.com", vec![personal(None)]),
                LinkEvent::IdentityDoubtful,
                Some(10),
                Some(ReviewReason::DobMissing),
            ),
            (
                "business only",
                None,
                identity("ada@example.com", vec![business]),
                LinkEvent::IdentityDoubtful,
                Some(11),
                Some(ReviewReason::BusinessOnly),
            ),
            (
                "email differs",
                None,
                identity("other@example.com", vec![personal(Some("1990-04-17"))]),
                LinkEvent::IdentityDoubtful,
                Some(10),
                Some(ReviewReason::EmailMismatch),
            ),
            (
                "other pinned user",
                Some(8),
                identity("ada@example.com", vec![personal(Some("1990-04-17"))]),
                LinkEvent::IdentityDoubtful,
                Some(10),
                Some(ReviewReason::DifferentWiseUser),
            ),
            (
                "no profile",
                None,
                identity("ada@example.com", vec![]),
                LinkEvent::NoProfile,
                None,
                None,
            ),
            (
                "profiles refused, /v1/me matches",
                None,
                unlisted(vec![from_me]),
                LinkEvent::IdentityDoubtful,
                None,
                Some(ReviewReason::ProfileUnreadable),
            ),
            (
                "profiles refused, /v1/me has no date of birth",
                None,
                unlisted(vec![]),
                LinkEvent::IdentityDoubtful,
                None,
                Some(ReviewReason::ProfileUnreadable),
            ),
        ];
        for (name, pinned, wise, event, profile, review_reason) in cases {
            let got = assess(customer_dob, &email, pinned.map(WiseUserId::new), &wise);
            assert_eq!(got.wise.user_id, wise.user_id, "{name}");
            assert_eq!(
                (got.event, got.profile_id, got.review_reason),
                (event, profile.map(WiseProfileId::new), review_reason),
                "{name}: {}",
                got.reason
            );
        }
        let no_email = WiseIdentity {
            user_id: WiseUserId::new(7),
            email: None,
            profiles: vec![personal(Some("1990-04-17"))],
            profiles_listed: true,
        };
        assert_eq!(
            assess(customer_dob, &email, None, &no_email).event,
            LinkEvent::IdentityDoubtful
        );
    }

    #[test]
    fn an_import_matches_only_with_the_user_and_profile_it_named() {
        let identity = WiseIdentity {
            user_id: WiseUserId::new(7),
            email: Some("ada@example.com".into()),
            profiles: vec![WiseProfile {
                id: Some(WiseProfileId::new(10)),
                personal: true,
                date_of_birth: Some(dob("1990-04-17")),
            }],
            profiles_listed: true,
        };
        let email = EmailAddress::parse("ada@example.com").unwrap();
        let matched = assess(
            DateOfBirth::from_stored(dob("1990-04-17")),
            &email,
            None,
            &identity,
        );
        let named = |user, profile| {
            matched
                .clone()
                .expecting(WiseUserId::new(user), WiseProfileId::new(profile))
        };
        assert_eq!(named(7, 10), matched);
        for (user, profile) in [(8, 10), (7, 11)] {
            let got = named(user, profile);
            assert_eq!(got.event, LinkEvent::IdentityDoubtful);
            assert_eq!(got.review_reason, Some(ReviewReason::DifferentWiseUser));
        }
        let mismatch = assess(
            DateOfBirth::from_stored(dob("1991-04-17")),
            &email,
            None,
            &identity,
        );
        let kept = mismatch
            .clone()
            .expecting(WiseUserId::new(8), WiseProfileId::new(10));
        assert_eq!(kept, mismatch, "a doubt already found keeps its own reason");
    }
}
