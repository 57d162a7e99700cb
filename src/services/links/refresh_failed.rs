//! A refresh that gave no tokens: the link needs re-linking (Wise ended its grant), or the try is
//! deferred (a transient failure, or no room in the Wise call budget) with the tokens kept. See
//! [`refresh`](super::refresh) for when each applies.

use super::refresh::Renewal;
use super::{LinkError, LinkService, wiped};
use crate::db::links::{LinkChanges, LinkRow, TokenChanges, Transition};
use crate::domain::{LinkEvent, LinkState};
use crate::wise::WiseError;

impl LinkService {
    /// Wipes the tokens, moves the link to `relink_required` with one event, and queues one
    /// email asking the customer to reconnect: one transaction, under the lease.
    pub(super) async fn relink_required(
        &self,
        link: &LinkRow,
        event: LinkEvent,
        detail: Option<&str>,
    ) -> Result<Renewal, LinkError> {
        let reason = detail.unwrap_or(match event {
            LinkEvent::TokensLost => {
                "the answer to a refresh was lost after Wise replaced the tokens"
            }
            _ => "Wise refused the refresh token: access revoked",
        });
        let customer = self.customer_of(link).await?;
        let mail = self.reconnect_mail(&link.id, &customer)?;
        // The registration code goes too: it was refused, or the user was never created by us.
        let changes = wiped().then(LinkChanges {
            refresh_generation: Some(link.refresh_generation + 1),
            registration_code: Some(None),
            ..LinkChanges::default()
        });
        let t = Transition::new(link, LinkState::Active, event, "refresher", reason)
            .under_lease(link.refresh_generation)
            .changes(changes)
            .queue(Some(mail));
        match self.commit(vec![t], None).await {
            Ok(_) => {
                tracing::warn!(link.id = %link.id, event = event.as_str(), "link needs re-linking");
                Ok(Renewal::RelinkRequired)
            }
            Err(LinkError::Busy | LinkError::WrongState(_)) => Ok(Renewal::Superseded),
            Err(e) => Err(e),
        }
    }

    /// Keeps the tokens, counts the failure and sets the next try; flags the link (one event)
    /// once refreshes have failed for `tokens.failing_after_secs`.
    pub(super) async fn defer(
        &self,
        link: &LinkRow,
        error: &WiseError,
        in_doubt: bool,
    ) -> Result<Renewal, LinkError> {
        let now = self.clock.now();
        // Not sent for want of budget: no failure of Wise's, only a later turn.
        let throttled = error.is_throttled();
        let failures = if throttled {
            link.refresh_failures
        } else {
            link.refresh_failures.saturating_add(1)
        };
        let retry_after = error.retry_after();
        let wait = self.tokens.retry_in(
            failures,
            retry_after.and_then(|d| chrono::Duration::from_std(d).ok()),
        );
        let retry_at = now + wait;
        let failing_since = link.refresh_failing_since.unwrap_or(now);
        let changes = TokenChanges {
            refresh_generation: Some(link.refresh_generation + 1),
            refresh_leased_until: Some(None),
            refresh_due_at: Some(Some(retry_at)),
            refresh_failures: Some(failures),
            refresh_failing_since: Some(
                (!throttled)
                    .then_some(failing_since)
                    .or(link.refresh_failing_since),
            ),
            refresh_in_doubt_at: Some(in_doubt.then(|| link.refresh_in_doubt_at.unwrap_or(now))),
            ..TokenChanges::default()
        };
        tracing::info!(link.id = %link.id, failures, in_doubt, error = %error, wise.trace_id = error.trace_id(), "refresh failed; tokens kept");
        let flag = !throttled
            && link.refresh_flagged_at.is_none()
            && now - failing_since >= self.tokens.failing_after;
        let written = if flag {
            let t = Transition::new(
                link,
                LinkState::Active,
                LinkEvent::RefreshFailing,
                "refresher",
                &format!("refreshes have failed since {failing_since} ({failures} tries)"),
            )
            .under_lease(link.refresh_generation)
            .changes(
                changes
                    .then(TokenChanges {
                        refresh_flagged_at: Some(Some(now)),
                        ..TokenChanges::default()
                    })
                    .into(),
            )
            .trace(error.trace_id());
            match self.commit(vec![t], None).await {
                Ok(_) => true,
                Err(LinkError::Busy | LinkError::WrongState(_)) => false,
                Err(e) => return Err(e),
            }
        } else {
            self.settle(link, changes).await?
        };
        Ok(if written {
            Renewal::Deferred {
                retry_at,
                retry_after: retry_after.map(|d| d.as_secs().max(1)),
                in_doubt,
            }
        } else {
            Renewal::Superseded
        })
    }
}
