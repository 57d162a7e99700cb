//! Why a link is in its state: the event that put it there, from a closed list — `started` for a
//! new link, else the name of the [`LinkEvent`] of the last transition that changed the state
//! (a transition that keeps the state, such as a resend or a refresh flagged failing, keeps the
//! reason). The partner filters links by it and the metrics count links by state and reason.

use crate::{LinkEvent, LinkFlow, LinkState, transition};
use std::collections::BTreeSet;

/// The reason of a link that was just created.
pub const STARTED: &str = "started";
/// The reason of a link brought by an import (`wiselink import`, `POST /v1/links/import`), until
/// its proof decides it.
pub const IMPORTED: &str = "imported";

/// The reason a transition from `from` by `event` to `to` leaves on the link, if it changes it.
pub fn reason_after(from: LinkState, event: LinkEvent, to: LinkState) -> Option<&'static str> {
    (from != to).then(|| event.as_str())
}

/// Every reason a link in `state` can carry.
pub fn reasons_into(state: LinkState) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    if state == LinkState::Pending {
        out.insert(STARTED);
    }
    if state == LinkState::Verifying {
        out.insert(IMPORTED);
    }
    for from in LinkState::ALL {
        for event in LinkEvent::ALL {
            for flow in [LinkFlow::EmailCode, LinkFlow::Redirect] {
                if let Ok(to) = transition(from, event, flow)
                    && to == state
                    && let Some(reason) = reason_after(from, event, to)
                {
                    out.insert(reason);
                }
            }
        }
    }
    out
}

/// Whether `raw` is a reason some link can carry.
pub fn is_link_reason(raw: &str) -> bool {
    LinkState::ALL
        .into_iter()
        .any(|state| reasons_into(state).contains(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_has_its_own_small_set_of_reasons() {
        assert_eq!(
            reasons_into(LinkState::Pending),
            BTreeSet::from([STARTED, "relink_started"])
        );
        let relink = reasons_into(LinkState::RelinkRequired);
        assert_eq!(relink, BTreeSet::from(["access_revoked", "tokens_lost"]));
        let unlinked = reasons_into(LinkState::Unlinked);
        assert!(unlinked.contains("unlinked") && unlinked.contains("wise_user_deactivated"));
        assert!(!reasons_into(LinkState::Active).contains("refresh_failing"));
        let all: usize = LinkState::ALL.map(|s| reasons_into(s).len()).iter().sum();
        assert!(all < 60, "{all} series for wiselink_links");
        assert!(is_link_reason("code_refused"));
        assert!(!is_link_reason("refresh_failing"));
        assert!(!is_link_reason("dob_mismatch"));
    }
}
