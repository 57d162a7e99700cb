//! "This wasn't me": the one-time link in the "linked" email. The owner of the Wise account
//! follows it to a confirmation page (a GET changes nothing, so a mail scanner that opens links
//! does no harm) and confirms with a POST: the link leaves `active` for review with the reason
//! `customer_disputed`, its tokens, registration code and session are destroyed, and the partner
//! hears `link.needs_review`. Only an active link can be disputed, so the link works once.

use super::secrets::{DISPUTE_PREFIX, session_hash};
use super::{LinkError, LinkService, in_review_unchecked};
use crate::db::customers::CustomerRow;
use crate::db::links::{self, LinkChanges, LinkRow, Transition};
use crate::domain::{LinkEvent, LinkState, ReviewReason};

/// Who a dispute is recorded as.
const ACTOR: &str = "customer";

/// Where a "this wasn't me" link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeStatus {
    /// The account is linked: the customer may confirm.
    Open,
    /// Already reported: the link is in review (or was decided) because of it.
    Reported,
    /// The link ended otherwise (unlinked, relink required, …): nothing is linked any more.
    Ended,
    /// Past its 30 days.
    Expired,
}

/// A dispute link's link and customer, and where it stands.
pub struct DisputeTarget {
    pub link: LinkRow,
    pub customer: CustomerRow,
    pub status: DisputeStatus,
}

impl LinkService {
    /// What `token` opens, if anything (`None` for a token that is not one, or unknown).
    pub async fn dispute_target(&self, token: &str) -> Result<Option<DisputeTarget>, LinkError> {
        if !token.starts_with(DISPUTE_PREFIX) || token.len() > 100 {
            return Ok(None);
        }
        let hash = session_hash(token);
        let Some(link) = self
            .db
            .run(move |c| links::find_by_dispute(c, &hash))
            .await?
        else {
            return Ok(None);
        };
        let customer = self.customer_of(&link).await?;
        let status = if link.review_reason == Some(ReviewReason::CustomerDisputed) {
            DisputeStatus::Reported
        } else if link.state != LinkState::Active {
            DisputeStatus::Ended
        } else if link
            .dispute_expires_at
            .is_none_or(|t| t <= self.clock.now())
        {
            DisputeStatus::Expired
        } else {
            DisputeStatus::Open
        };
        Ok(Some(DisputeTarget {
            link,
            customer,
            status,
        }))
    }

    /// The customer confirmed "this wasn't me": unlinks into review. Returns where the link
    /// stands afterwards (`Reported` when this or an earlier confirmation did it).
    pub async fn dispute(&self, target: &DisputeTarget) -> Result<DisputeStatus, LinkError> {
        if target.status != DisputeStatus::Open {
            return Ok(target.status);
        }
        let link = &target.link;
        let t = Transition::new(
            link,
            LinkState::Active,
            LinkEvent::CustomerDisputed,
            ACTOR,
            "the Wise account's owner said they did not link it",
        )
        .changes(LinkChanges {
            registration_code: Some(None),
            code_expires_at: Some(None),
            ..in_review_unchecked(ReviewReason::CustomerDisputed)
        });
        match self.apply(t).await {
            Ok(_) => {
                tracing::warn!(link.id = %link.id, "the customer disputed the link: unlinked into review");
                Ok(DisputeStatus::Reported)
            }
            // Confirmed twice at once, or the link moved meanwhile: say where it stands now.
            Err(LinkError::Busy | LinkError::WrongState(_)) => {
                let now = self.reload(&link.id).await?;
                Ok(
                    if now.review_reason == Some(ReviewReason::CustomerDisputed) {
                        DisputeStatus::Reported
                    } else {
                        DisputeStatus::Ended
                    },
                )
            }
            Err(e) => Err(e),
        }
    }
}
