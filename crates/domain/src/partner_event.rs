//! What the partner hears of a link: the event types published over webhooks and the event feed,
//! and which link changes produce them. The rule lives here, beside the state machine, so every
//! writer of transitions emits the same events.

use crate::{LinkEvent, LinkState};

/// The type of an event published to the partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartnerEventType {
    LinkAwaitingCode,
    LinkAwaitingAuthorization,
    LinkActive,
    LinkNeedsReview,
    LinkRejected,
    LinkLocked,
    LinkExpired,
    LinkRelinkRequired,
    LinkUnlinked,
    /// Staff approved or rejected a link in review (`reason` says which).
    ReviewDecided,
    /// The customer claimed the Wise account the partner created.
    ClaimCompleted,
    /// Refreshes have failed for a while; the link still has its tokens.
    RefreshFailing,
    /// A refresh worked again after the link was flagged failing.
    RefreshRecovered,
    /// Wise changed the linked user's state (`reason`: `wise_user_withdraw_only`,
    /// `wise_user_reactivated`, `wise_user_deactivated`).
    WiseUserChanged,
    /// Wise changed the linked profile's verification (`reason`: `profile_verified`,
    /// `profile_unverified`).
    ProfileVerificationChanged,
    /// The customer had not typed the code in time, and got the one reminder email.
    ReminderSent,
}

impl PartnerEventType {
    pub const ALL: [PartnerEventType; 16] = [
        Self::LinkAwaitingCode,
        Self::LinkAwaitingAuthorization,
        Self::LinkActive,
        Self::LinkNeedsReview,
        Self::LinkRejected,
        Self::LinkLocked,
        Self::LinkExpired,
        Self::LinkRelinkRequired,
        Self::LinkUnlinked,
        Self::ReviewDecided,
        Self::ClaimCompleted,
        Self::RefreshFailing,
        Self::RefreshRecovered,
        Self::WiseUserChanged,
        Self::ProfileVerificationChanged,
        Self::ReminderSent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LinkAwaitingCode => "link.awaiting_code",
            Self::LinkAwaitingAuthorization => "link.awaiting_authorization",
            Self::LinkActive => "link.active",
            Self::LinkNeedsReview => "link.needs_review",
            Self::LinkRejected => "link.rejected",
            Self::LinkLocked => "link.locked",
            Self::LinkExpired => "link.expired",
            Self::LinkRelinkRequired => "link.relink_required",
            Self::LinkUnlinked => "link.unlinked",
            Self::ReviewDecided => "link.review_decided",
            Self::ClaimCompleted => "link.claim_completed",
            Self::RefreshFailing => "link.refresh_failing",
            Self::RefreshRecovered => "link.refresh_recovered",
            Self::WiseUserChanged => "link.wise_user_changed",
            Self::ProfileVerificationChanged => "link.profile_verification_changed",
            Self::ReminderSent => "link.reminder_sent",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// What a partner is told about the link entering `state`, if anything: the states a link
    /// passes through on its own in one request (`pending`, `exchanging`, `verifying`) are not
    /// announced.
    pub fn entering(state: LinkState) -> Option<Self> {
        Some(match state {
            LinkState::AwaitingCode => Self::LinkAwaitingCode,
            LinkState::AwaitingAuthorization => Self::LinkAwaitingAuthorization,
            LinkState::Active => Self::LinkActive,
            LinkState::NeedsReview => Self::LinkNeedsReview,
            LinkState::Rejected => Self::LinkRejected,
            LinkState::Locked => Self::LinkLocked,
            LinkState::Expired => Self::LinkExpired,
            LinkState::RelinkRequired => Self::LinkRelinkRequired,
            LinkState::Unlinked => Self::LinkUnlinked,
            LinkState::Pending | LinkState::Exchanging | LinkState::Verifying => return None,
        })
    }
}

/// The events a transition from `from` by `event` to `to` publishes, in order: the state entered
/// (when it changed), then what happened that the state alone does not say.
pub fn partner_events(
    from: LinkState,
    event: LinkEvent,
    to: LinkState,
) -> impl Iterator<Item = PartnerEventType> {
    let entered = (from != to)
        .then(|| PartnerEventType::entering(to))
        .flatten();
    let happened = match event {
        LinkEvent::StaffApproved | LinkEvent::StaffRejected => {
            Some(PartnerEventType::ReviewDecided)
        }
        LinkEvent::AccountClaimed => Some(PartnerEventType::ClaimCompleted),
        LinkEvent::RefreshFailing => Some(PartnerEventType::RefreshFailing),
        LinkEvent::RefreshRecovered => Some(PartnerEventType::RefreshRecovered),
        LinkEvent::WiseUserWithdrawOnly
        | LinkEvent::WiseUserReactivated
        | LinkEvent::WiseUserDeactivated => Some(PartnerEventType::WiseUserChanged),
        LinkEvent::ProfileVerified | LinkEvent::ProfileUnverified => {
            Some(PartnerEventType::ProfileVerificationChanged)
        }
        LinkEvent::ReminderSent => Some(PartnerEventType::ReminderSent),
        _ => None,
    };
    entered.into_iter().chain(happened)
}

/// A new event id, `evt_` and 32 hex digits: the feed's item id and every delivery's
/// `webhook-id`.
pub fn new_event_id() -> String {
    format!("evt_{}", uuid::Uuid::new_v4().simple())
}

/// Whether `raw` can be an event id; anything else never reaches a query.
pub fn is_event_id(raw: &str) -> bool {
    raw.strip_prefix("evt_").is_some_and(|hex| {
        hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// A webhook endpoint's id: `we_` and 32 hex digits.
pub struct EndpointId;

impl EndpointId {
    pub const PREFIX: &'static str = "we_";

    pub fn generate() -> String {
        format!("{}{}", Self::PREFIX, uuid::Uuid::new_v4().simple())
    }

    /// Whether `raw` can be an endpoint id; anything else never reaches a query.
    pub fn is_valid(raw: &str) -> bool {
        raw.strip_prefix(Self::PREFIX).is_some_and(|hex| {
            hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LinkFlow, transition};

    #[test]
    fn every_type_reads_back_from_its_name() {
        for t in PartnerEventType::ALL {
            assert_eq!(PartnerEventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(PartnerEventType::parse("link.pending"), None);
    }

    #[test]
    fn every_state_a_partner_acts_on_is_announced_once_when_entered() {
        for from in LinkState::ALL {
            for event in LinkEvent::ALL {
                for flow in [LinkFlow::EmailCode, LinkFlow::Redirect] {
                    let Ok(to) = transition(from, event, flow) else {
                        continue;
                    };
                    let types: Vec<_> = partner_events(from, event, to).collect();
                    let entered = types
                        .iter()
                        .filter(|t| t.as_str().strip_prefix("link.") == Some(to.as_str()))
                        .count();
                    let announced = from != to
                        && !matches!(
                            to,
                            LinkState::Pending | LinkState::Exchanging | LinkState::Verifying
                        );
                    assert_eq!(entered, usize::from(announced), "{from:?} {event:?} {to:?}");
                }
            }
        }
    }

    #[test]
    fn decisions_claims_and_refresh_health_are_announced_beside_the_state() {
        let types: Vec<_> = partner_events(
            LinkState::NeedsReview,
            LinkEvent::StaffApproved,
            LinkState::Active,
        )
        .collect();
        assert_eq!(
            types,
            [
                PartnerEventType::LinkActive,
                PartnerEventType::ReviewDecided
            ]
        );
        let types: Vec<_> = partner_events(
            LinkState::Active,
            LinkEvent::RefreshFailing,
            LinkState::Active,
        )
        .collect();
        assert_eq!(types, [PartnerEventType::RefreshFailing]);
        let types: Vec<_> = partner_events(
            LinkState::AwaitingCode,
            LinkEvent::CodeRefused,
            LinkState::AwaitingCode,
        )
        .collect();
        assert!(types.is_empty());
    }

    #[test]
    fn ids_have_their_shape() {
        assert!(is_event_id(&new_event_id()));
        assert!(!is_event_id("evt_0F6C1B2A3D4E5F60718293A4B5C6D7E8"));
        assert!(EndpointId::is_valid(&EndpointId::generate()));
        for bad in ["", "we_", "we_xyz", "lnk_0123456789abcdef0123456789abcdef"] {
            assert!(!EndpointId::is_valid(bad), "{bad}");
        }
    }
}
