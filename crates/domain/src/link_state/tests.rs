//! Every (state, event) pair decided, and properties of the whole machine.

use super::*;
use LinkEvent as E;
use LinkState as S;
use proptest::prelude::*;
use std::collections::{BTreeSet, HashSet};

/// The intended transitions, written out as a table independent of the `match`.
const TABLE: &[(S, E, S)] = &[
    (S::Pending, E::WiseUserExists, S::AwaitingCode),
    (S::Pending, E::WiseUserCreated, S::Active),
    (S::Pending, E::RedirectIssued, S::AwaitingAuthorization),
    (S::Pending, E::SignupRefused, S::Rejected),
    (S::Pending, E::Unlinked, S::Unlinked),
    (S::AwaitingCode, E::CodeSubmitted, S::Exchanging),
    (S::AwaitingCode, E::CodeWindowClosed, S::Expired),
    (S::AwaitingCode, E::CodeResent, S::AwaitingCode),
    (S::AwaitingCode, E::ReminderSent, S::AwaitingCode),
    (S::Active, E::CustomerDisputed, S::NeedsReview),
    (S::AwaitingCode, E::WiseUserCreated, S::Active),
    (S::AwaitingCode, E::Unlinked, S::Unlinked),
    (S::AwaitingAuthorization, E::CodeSubmitted, S::Exchanging),
    (
        S::AwaitingAuthorization,
        E::AuthorizationDeclined,
        S::AwaitingAuthorization,
    ),
    (S::AwaitingAuthorization, E::CodeWindowClosed, S::Expired),
    (S::AwaitingAuthorization, E::Unlinked, S::Unlinked),
    (S::Exchanging, E::CodeRefused, S::AwaitingCode),
    (S::Exchanging, E::ExchangeLost, S::AwaitingCode),
    (S::Exchanging, E::ExchangeDeferred, S::AwaitingCode),
    (S::Exchanging, E::TooManyWrongCodes, S::Locked),
    (S::Exchanging, E::TokensStored, S::Verifying),
    (S::Verifying, E::IdentityMatched, S::Active),
    (S::Verifying, E::IdentityDoubtful, S::NeedsReview),
    (S::Verifying, E::NoProfile, S::Rejected),
    (S::Verifying, E::TokensStored, S::Verifying),
    (S::Verifying, E::TokensRegranted, S::Verifying),
    (S::Verifying, E::AccessRevoked, S::RelinkRequired),
    (S::Verifying, E::TokensLost, S::RelinkRequired),
    (S::AwaitingCode, E::WiseUserLinkedElsewhere, S::NeedsReview),
    (S::Verifying, E::WiseUserLinkedElsewhere, S::NeedsReview),
    (S::Active, E::TokensReissued, S::Active),
    (S::Active, E::AccessRevoked, S::RelinkRequired),
    (S::Active, E::TokensLost, S::RelinkRequired),
    (S::Active, E::TokensRegranted, S::Active),
    (S::Active, E::RefreshFailing, S::Active),
    (S::Active, E::RefreshRecovered, S::Active),
    (S::Active, E::AccountClaimed, S::Active),
    (S::Active, E::Unlinked, S::Unlinked),
    (S::NeedsReview, E::ApprovalRecorded, S::NeedsReview),
    (S::NeedsReview, E::StaffApproved, S::Active),
    (S::NeedsReview, E::StaffRejected, S::Rejected),
    (S::NeedsReview, E::Unlinked, S::Unlinked),
    (S::Locked, E::StaffUnlocked, S::AwaitingCode),
    (S::Locked, E::StaffRejected, S::Rejected),
    (S::Locked, E::WiseUserCreated, S::Active),
    (S::Locked, E::Unlinked, S::Unlinked),
    (S::RelinkRequired, E::Unlinked, S::Unlinked),
    (S::RelinkRequired, E::RelinkStarted, S::Pending),
    (S::Unlinked, E::RelinkStarted, S::Pending),
    (S::Expired, E::CodeResent, S::AwaitingCode),
    (S::Expired, E::WiseUserCreated, S::Active),
    (S::Active, E::WiseUserWithdrawOnly, S::Active),
    (S::Active, E::WiseUserReactivated, S::Active),
    (S::Active, E::ProfileVerified, S::Active),
    (S::Active, E::ProfileUnverified, S::Active),
    (S::Active, E::WiseUserDeactivated, S::Unlinked),
    (S::NeedsReview, E::WiseUserWithdrawOnly, S::NeedsReview),
    (S::NeedsReview, E::WiseUserReactivated, S::NeedsReview),
    (S::NeedsReview, E::ProfileVerified, S::NeedsReview),
    (S::NeedsReview, E::ProfileUnverified, S::NeedsReview),
    (S::NeedsReview, E::WiseUserDeactivated, S::Unlinked),
    (
        S::RelinkRequired,
        E::WiseUserWithdrawOnly,
        S::RelinkRequired,
    ),
    (S::RelinkRequired, E::WiseUserReactivated, S::RelinkRequired),
    (S::RelinkRequired, E::ProfileVerified, S::RelinkRequired),
    (S::RelinkRequired, E::ProfileUnverified, S::RelinkRequired),
    (S::RelinkRequired, E::WiseUserDeactivated, S::Unlinked),
];

/// Where the redirect flow differs from [`TABLE`] (the email flow): an exchange that gave no
/// tokens sends the customer back to Wise's page, not to a code Wise never emails.
const REDIRECT: &[(S, E, S)] = &[
    (S::Exchanging, E::CodeRefused, S::AwaitingAuthorization),
    (S::Exchanging, E::ExchangeLost, S::AwaitingAuthorization),
    (S::Exchanging, E::ExchangeDeferred, S::AwaitingAuthorization),
];

const FLOWS: [LinkFlow; 2] = [LinkFlow::EmailCode, LinkFlow::Redirect];

/// The table's answer for `flow`.
fn expected(from: S, event: E, flow: LinkFlow) -> Option<S> {
    let find = |table: &[(S, E, S)]| {
        table
            .iter()
            .find(|(f, e, _)| *f == from && *e == event)
            .map(|(_, _, to)| *to)
    };
    match flow {
        LinkFlow::Redirect => find(REDIRECT).or_else(|| find(TABLE)),
        LinkFlow::EmailCode => find(TABLE),
    }
}

#[test]
fn every_state_and_event_pair_matches_the_table() {
    for flow in FLOWS {
        for from in LinkState::ALL {
            for event in LinkEvent::ALL {
                assert_eq!(
                    transition(from, event, flow).ok(),
                    expected(from, event, flow),
                    "{flow}: {from} + {event:?}"
                );
            }
        }
    }
}

#[test]
fn a_redirect_link_never_waits_for_a_code_after_an_exchange() {
    for event in LinkEvent::ALL {
        assert_ne!(
            transition(S::Exchanging, event, LinkFlow::Redirect).ok(),
            Some(S::AwaitingCode),
            "{event:?}"
        );
    }
}

#[test]
fn flows_round_trip() {
    for flow in FLOWS {
        assert_eq!(LinkFlow::parse(flow.as_str()), Some(flow));
    }
    assert_eq!(LinkFlow::parse("REDIRECT"), None);
}

#[test]
fn final_states_only_leave_by_a_resend_of_an_expired_code_or_a_relink() {
    for (from, flow) in LinkState::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .flat_map(|s| FLOWS.map(|f| (s, f)))
    {
        for event in LinkEvent::ALL {
            if let Ok(to) = transition(from, event, flow) {
                assert!(
                    [
                        (S::Expired, E::CodeResent, S::AwaitingCode),
                        // The resend's signup created a new user (the email changed at Wise).
                        (S::Expired, E::WiseUserCreated, S::Active),
                        // The partner starts an unlinked link again, in place.
                        (S::Unlinked, E::RelinkStarted, S::Pending),
                    ]
                    .contains(&(from, event, to)),
                    "{from} + {event:?} -> {to}"
                );
            }
        }
    }
}

#[test]
fn active_is_reached_only_by_a_match_an_approval_or_a_partner_created_user() {
    let into_active: BTreeSet<String> = TABLE
        .iter()
        // Entering `active`: an active link's own upkeep events keep it where it is.
        .filter(|(from, _, to)| *to == S::Active && *from != S::Active)
        .map(|(from, e, _)| format!("{from}:{e:?}"))
        .collect();
    let expected: BTreeSet<String> = [
        "pending:WiseUserCreated",
        "awaiting_code:WiseUserCreated",
        "expired:WiseUserCreated",
        "locked:WiseUserCreated",
        "verifying:IdentityMatched",
        "needs_review:StaffApproved",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(into_active, expected);
}

#[test]
fn every_state_is_reachable_from_pending() {
    let mut seen = HashSet::from([S::Pending]);
    let mut frontier = vec![S::Pending];
    while let Some(s) = frontier.pop() {
        for e in LinkEvent::ALL {
            if let Ok(to) = transition(s, e, LinkFlow::EmailCode)
                && seen.insert(to)
            {
                frontier.push(to);
            }
        }
    }
    assert_eq!(seen.len(), LinkState::ALL.len());
}

#[test]
fn names_round_trip() {
    for s in LinkState::ALL {
        assert_eq!(LinkState::parse(s.as_str()), Some(s));
    }
    assert_eq!(LinkState::parse("ACTIVE"), None);
}

proptest! {
    /// Random event sequences: the machine only ever moves along the table, never panics, and
    /// a link is only `active` after one of the three legitimate routes in.
    #[test]
    fn random_sequences_stay_on_the_table(events in proptest::collection::vec(0..LinkEvent::ALL.len(), 0..60)) {
        let mut state = S::Pending;
        let mut vouched = false;
        for i in events {
            let event = LinkEvent::ALL[i];
            match transition(state, event, LinkFlow::EmailCode) {
                Ok(next) => {
                    prop_assert!(TABLE.contains(&(state, event, next)));
                    if next == S::Active && state != S::Active {
                        prop_assert!(matches!(event, E::IdentityMatched | E::StaffApproved | E::WiseUserCreated));
                        vouched = true;
                    }
                    state = next;
                }
                Err(e) => prop_assert_eq!(e, IllegalTransition { from: state, event }),
            }
        }
        if state == S::Active {
            prop_assert!(vouched);
        }
    }
}
