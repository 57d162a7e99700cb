//! What Wise's account events do to links: a deactivated user's links end (tokens wiped, any
//! refresh in flight cut off), a withdraw-only user's links are flagged with the day Wise will
//! deactivate the user, a reactivated user's flag is cleared, a profile's verification is
//! recorded. Each change is a transition, so it is audited and published to the partner with it.

use super::{LinkError, LinkService, wiped};
use crate::db::links::{LinkChanges, LinkRow, Transition};
use crate::db::wise_events::{self as store, WiseDeliveryRow};
use crate::domain::{LinkEvent, LinkState};
use chrono::Duration;

/// How often a link changed by someone else meanwhile is read again before giving up on it (the
/// delivery is then retried as a whole).
const ATTEMPTS: usize = 5;

/// What one delivery does to one link.
struct Effect {
    event: LinkEvent,
    changes: LinkChanges,
    /// The link already shows it (a repeat after a crash mid-way, or nothing to clear).
    already: bool,
}

impl LinkService {
    /// Applies one stored delivery: if it is the newest event about its user or profile, to
    /// every link it reaches; then marks it done. Returns `applied` or `stale`.
    pub async fn apply_wise_delivery(
        &self,
        delivery: WiseDeliveryRow,
        withdraw_only_days: u32,
    ) -> Result<&'static str, LinkError> {
        let d = delivery.clone();
        let newest = self.db.run(move |c| store::record_state(c, &d)).await?;
        if newest {
            let (kind, id) = (delivery.resource_type.clone(), delivery.resource_id);
            let links = self.db.run(move |c| store::links_of(c, &kind, id)).await?;
            for link in links {
                self.apply_to_link(link, &delivery, withdraw_only_days)
                    .await?;
            }
        }
        let outcome = if newest { "applied" } else { "stale" };
        let (id, now) = (delivery.delivery_id.clone(), self.clock.now());
        self.db
            .run(move |c| store::finish(c, &id, outcome, now))
            .await?;
        Ok(outcome)
    }

    async fn apply_to_link(
        &self,
        mut link: LinkRow,
        delivery: &WiseDeliveryRow,
        withdraw_only_days: u32,
    ) -> Result<(), LinkError> {
        for _ in 0..ATTEMPTS {
            let Some(effect) = effect(&link, delivery, withdraw_only_days) else {
                return Ok(());
            };
            if effect.already {
                return Ok(());
            }
            let reason = format!(
                "Wise: {} {} is {}",
                delivery.resource_type, delivery.resource_id, delivery.current_state
            );
            let mut t = Transition::new(&link, link.state, effect.event, "wise", &reason)
                .unchanged_since(link.updated_at)
                .changes(effect.changes);
            if effect.event == LinkEvent::WiseUserDeactivated {
                // A refresh in flight holds this generation: the bump makes its result
                // unwritable, so the wiped tokens stay wiped.
                t = t.under_lease(link.refresh_generation);
            }
            match self.apply(t).await {
                Ok(_) => return Ok(()),
                Err(LinkError::Busy | LinkError::WrongState(_)) => {
                    link = self.reload(&link.id).await?;
                }
                Err(e) => return Err(e),
            }
        }
        Err(LinkError::Busy)
    }
}

/// The transition a delivery makes on a link, if it applies to the link's state.
fn effect(link: &LinkRow, delivery: &WiseDeliveryRow, withdraw_only_days: u32) -> Option<Effect> {
    if !matches!(
        link.state,
        LinkState::Active | LinkState::NeedsReview | LinkState::RelinkRequired
    ) {
        return None;
    }
    let state = delivery.current_state.as_str();
    if delivery.resource_type == "profile" {
        return Some(Effect {
            event: if state == "verified" {
                LinkEvent::ProfileVerified
            } else {
                LinkEvent::ProfileUnverified
            },
            changes: LinkChanges {
                profile_verification: Some(Some(state.to_owned())),
                ..LinkChanges::default()
            },
            already: link.profile_verification.as_deref() == Some(state),
        });
    }
    let shown = link.wise_user_state.as_deref();
    let user_state = Some(Some(state.to_owned()));
    Some(match state {
        "withdraw_only" => Effect {
            event: LinkEvent::WiseUserWithdrawOnly,
            changes: LinkChanges {
                wise_user_state: user_state,
                wise_user_deactivates_on: Some(Some(
                    (delivery.occurred_at + Duration::days(withdraw_only_days.into())).date(),
                )),
                ..LinkChanges::default()
            },
            already: shown == Some(state),
        },
        "deactivated" => Effect {
            event: LinkEvent::WiseUserDeactivated,
            changes: wiped().then(LinkChanges {
                wise_user_state: user_state,
                wise_user_deactivates_on: Some(None),
                registration_code: Some(None),
                refresh_generation: Some(link.refresh_generation + 1),
                ..LinkChanges::default()
            }),
            already: false,
        },
        // Back to active: only a flagged link has something to clear.
        _ => Effect {
            event: LinkEvent::WiseUserReactivated,
            changes: LinkChanges {
                wise_user_state: user_state,
                wise_user_deactivates_on: Some(None),
                ..LinkChanges::default()
            },
            already: matches!(shown, None | Some("active")),
        },
    })
}
