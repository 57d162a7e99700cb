//! Handing the partner's backend a valid Wise access token for an active link.
//!
//! A token is handed out only when no refresh of it is out or in doubt, since a refresh kills the
//! previous access token at once. When one is due, one caller refreshes under the link's refresh
//! lease: in this process the others wait their turn ([`Turns`]) and read what it stored; on
//! other instances they see the lease and wait for it to end. However many callers, one refresh.

use super::{LinkError, LinkService, Renewal};
use crate::db::links::{self, HandOut, LinkRow, SealedColumn};
use crate::domain::{LinkEvent, LinkId, LinkState, WiseProfileId};
use chrono::NaiveDateTime;
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// A usable access token, until when it may be used, and the profile it acts for.
pub struct AccessToken {
    pub token: SecretString,
    /// Until when nobody replaces the token (a refresh kills it): its expiry less the hand-out
    /// margin, or the refresher's next renewal, whichever is sooner.
    pub expires_at: NaiveDateTime,
    pub profile_id: Option<WiseProfileId>,
}

/// How often a caller looks again while another instance holds the link's refresh lease.
const LEASE_POLL: Duration = Duration::from_millis(50);

/// One turn per link at a time, for this process's access-token callers.
#[derive(Default)]
pub(super) struct Turns(Mutex<HashMap<LinkId, Weak<tokio::sync::Mutex<()>>>>);

impl Turns {
    fn of(&self, id: &LinkId) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(turn) = map.get(id).and_then(Weak::upgrade) {
            return turn;
        }
        if map.len() >= 1_024 {
            map.retain(|_, turn| turn.strong_count() > 0);
        }
        let turn = Arc::new(tokio::sync::Mutex::new(()));
        map.insert(id.clone(), Arc::downgrade(&turn));
        turn
    }
}

impl LinkService {
    /// A valid access token for an active link, refreshed first when it expires within
    /// `tokens.hand_out_margin_secs`.
    pub async fn access_token(&self, link_id: &LinkId) -> Result<AccessToken, LinkError> {
        self.bounded(self.fresh_access_token(link_id)).await
    }

    pub(super) async fn fresh_access_token(
        &self,
        link_id: &LinkId,
    ) -> Result<AccessToken, LinkError> {
        // Most calls end here, after one narrow read: the stored token, which nobody replaces
        // for a while. The rest read the whole link and decide by the same rule.
        let link = links::read_hand_out(&self.db, link_id)
            .await?
            .ok_or(LinkError::LinkNotFound)?;
        usable(link.state, link.state_reason.as_deref())?;
        if let Some(token) = self.handable(&link)? {
            return Ok(token);
        }
        let mut waited = false;
        loop {
            let link = self.active(link_id).await?;
            if let Some(token) = self.handable(&HandOut::from(&link))? {
                return Ok(token);
            }
            if link.refresh_leased(self.clock.now()) {
                self.wait_for_lease(waited).await?;
                waited = true;
                continue;
            }
            let turn = self.turns.of(link_id);
            let _turn = turn.lock().await;
            let link = self.active(link_id).await?;
            if let Some(token) = self.handable(&HandOut::from(&link))? {
                return Ok(token);
            }
            let now = self.clock.now();
            let in_doubt = link.refresh_unsettled(now);
            if !in_doubt
                && link.refresh_failures > 0
                && link.refresh_due_at.is_some_and(|t| t > now)
            {
                // A refresh just failed and the stored token is known to be good: wait as the
                // refresher does, rather than each caller trying again. (In doubt, the caller
                // needs to know now: the renewal first asks Wise whether the token still works.)
                return self.between_tries(&HandOut::from(&link), now);
            }
            let (id, generation) = (link_id.clone(), link.refresh_generation);
            let lease_until = now + self.tokens.lease;
            let claimed = self
                .db
                .run(move |conn| links::claim_one(conn, &id, generation, now, lease_until))
                .await?;
            let Some(claimed) = claimed else {
                // Another instance took the lease after the read (and may have renewed the
                // token already): read again.
                continue;
            };
            let renewal = self.renew(claimed).await?;
            metrics::counter!("wiselink_token_refreshes_total", "outcome" => renewal.outcome(), "via" => "access_token").increment(1);
            match renewal {
                Renewal::Renewed(token) => return Ok(token),
                Renewal::RelinkRequired => return Err(LinkError::RelinkRequired),
                Renewal::Superseded => continue,
                Renewal::Deferred { .. } => {
                    let link = self.active(link_id).await?;
                    return self.between_tries(&HandOut::from(&link), self.clock.now());
                }
            }
        }
    }

    /// While a failed refresh waits for its next try: the stored token if no refresh of it is in
    /// doubt and it has not expired (better than nothing for the minutes it has left, and nobody
    /// replaces it before that next try), else "unavailable, try again when the refresh is due".
    fn between_tries(&self, link: &HandOut, now: NaiveDateTime) -> Result<AccessToken, LinkError> {
        if !link.times.refresh_unsettled(now)
            && let Some(until) = link.times.replaceable_from(chrono::Duration::zero())
            && let Some(token) = self.stored_token(link, until)?
        {
            return Ok(token);
        }
        let wait = link
            .times
            .refresh_due_at
            .map_or(1, |t| (t - now).num_seconds().max(1));
        Err(LinkError::WiseUnavailable {
            retry_after: u64::try_from(wait).ok(),
        })
    }

    /// The link, if it is active; a link that needs re-linking says so.
    pub(super) async fn active(&self, link_id: &LinkId) -> Result<LinkRow, LinkError> {
        let link = self.reload(link_id).await?;
        usable(link.state, link.state_reason.as_deref())?;
        Ok(link)
    }

    /// Waits a moment for another instance's refresh; the request's Wise budget bounds the whole.
    async fn wait_for_lease(&self, waited: bool) -> Result<(), LinkError> {
        if !waited {
            tracing::debug!("waiting for another instance's refresh of this link");
        }
        tokio::time::sleep(LEASE_POLL).await;
        if crate::wise::deadline::remaining().is_some_and(|left| left < LEASE_POLL) {
            return Err(LinkError::WiseUnavailable {
                retry_after: Some(1),
            });
        }
        Ok(())
    }

    /// The stored access token, if nobody is refreshing it, no refresh of it is in doubt, and
    /// nobody will replace it for a while: handed out with the moment it may be replaced.
    fn handable(&self, link: &HandOut) -> Result<Option<AccessToken>, LinkError> {
        let now = self.clock.now();
        if link.times.refresh_leased(now) || link.times.refresh_unsettled(now) {
            return Ok(None);
        }
        match link.times.replaceable_from(self.tokens.hand_out_margin) {
            Some(until) => self.stored_token(link, until),
            None => Ok(None),
        }
    }

    /// The stored access token, handed out as good until `until`, if that is still ahead.
    fn stored_token(
        &self,
        link: &HandOut,
        until: NaiveDateTime,
    ) -> Result<Option<AccessToken>, LinkError> {
        let Some(sealed) = link.access_token.as_deref() else {
            return Ok(None);
        };
        if until <= self.clock.now() {
            return Ok(None);
        }
        Ok(Some(AccessToken {
            token: self.open_sealed(&link.id, SealedColumn::AccessToken, sealed)?,
            expires_at: until,
            profile_id: link.wise_profile_id,
        }))
    }
}

/// Whether a link in `state` (for `reason`) has tokens to hand out: only an active one; a link
/// that needs re-linking, or whose Wise user was deactivated, says so.
fn usable(state: LinkState, reason: Option<&str>) -> Result<(), LinkError> {
    match state {
        LinkState::Active => Ok(()),
        LinkState::RelinkRequired => Err(LinkError::RelinkRequired),
        LinkState::Unlinked if reason == Some(LinkEvent::WiseUserDeactivated.as_str()) => {
            Err(LinkError::WiseUserDeactivated)
        }
        state => Err(LinkError::WrongState(state)),
    }
}
