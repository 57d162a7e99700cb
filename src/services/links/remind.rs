//! The one reminder. Queued with the start and kept back (`scheduled`) until it falls due; then a
//! link still waiting for the code, inside its code window, gets it: the transition
//! `ReminderSent` releases the email to the relay and tells the partner, in one commit guarded
//! by the link's `updated_at`, so of several instances reaching it at once one sends it. A link
//! that moved on has its reminder cancelled, its content dropped.

use super::{LinkError, LinkService};
use crate::db::links::Transition;
use crate::db::outbox;
use crate::domain::{LinkEvent, LinkId, LinkState};

/// Due reminders handled per pass.
const BATCH: i64 = 100;

/// What a pass over the due reminders did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reminders {
    pub sent: usize,
    pub cancelled: usize,
}

impl LinkService {
    /// Sends or cancels the reminders due now.
    pub async fn remind_due(&self) -> Result<Reminders, LinkError> {
        let now = self.clock.now();
        let due = self
            .db
            .run(move |c| outbox::due_reminders(c, now, BATCH))
            .await?;
        let mut done = Reminders::default();
        for (message, link_id) in due {
            let link = match LinkId::parse(&link_id).map(|id| async move { self.reload(&id).await })
            {
                Some(found) => match found.await {
                    Ok(link) => Some(link),
                    Err(LinkError::LinkNotFound) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            let waiting = link.as_ref().filter(|l| {
                l.state == LinkState::AwaitingCode && l.code_expires_at.is_some_and(|t| t > now)
            });
            let Some(link) = waiting else {
                if self
                    .db
                    .run(move |c| outbox::cancel_scheduled(c, message))
                    .await?
                {
                    done.cancelled += 1;
                }
                continue;
            };
            let t = Transition::new(
                link,
                LinkState::AwaitingCode,
                LinkEvent::ReminderSent,
                "wiselink",
                "the code was not typed in time: one reminder email",
            )
            .unchanged_since(link.updated_at);
            match self.apply(t).await {
                Ok(_) => {
                    tracing::info!(link.id = %link.id, "reminder sent");
                    done.sent += 1;
                }
                // Another instance sent it, or the link moved: the next pass sees which.
                Err(LinkError::Busy | LinkError::WrongState(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}
