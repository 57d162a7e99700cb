//! One Wise user, one partner customer. Two customers linked to one Wise user fight over its
//! tokens — every grant ends the user's earlier refresh token at Wise (`ref/wise-api.md` §8.5) —
//! and it is a fraud signal. The database holds the rule (one active link per Wise user; in the
//! email-code flow one link per signup email exchanging, verifying or active); here is what a
//! link stopped by it does:
//!
//! - **Before the exchange** (email-code flow: the signup email names the Wise user): while
//!   another customer's link is active with the email, the code is not sent — Wise would end that
//!   link's refresh token — and the link goes to review (`wise_user_linked_elsewhere`), holding no
//!   tokens. While the other link is still exchanging or verifying, the customer retries
//!   (`wise_user_busy`).
//! - **After the exchange** (the redirect flow, where the Wise user is known only then): the new
//!   tokens are the only ones of that Wise user that still refresh, so they go to the active link
//!   (`tokens_reissued`, which also ends any refresh of the old ones in flight) and this link goes
//!   to review without them.
//!
//! Such a link can only be rejected: it holds no tokens to activate.

use super::{LinkError, LinkService, in_review_unchecked};
use crate::db::links::{self, LinkChanges, LinkRow, SealedColumn, TokenChanges, Transition};
use crate::domain::{LinkEvent, LinkState, ReviewReason, WiseUserId};
use crate::wise::UserTokens;

impl LinkService {
    /// The `exchanging` recovery point of `link` was refused: another email-code link holds its
    /// signup email. Returns `link` in review when that link is active; otherwise the customer
    /// retries.
    pub(super) async fn signup_email_taken(
        &self,
        link: &LinkRow,
        actor: &str,
    ) -> Result<LinkRow, LinkError> {
        let (id, email) = (link.id.clone(), link.signup_email.clone());
        let holder = self
            .db
            .run(move |c| links::holding_signup_email(c, &email, &id))
            .await?;
        let Some(holder) = holder.filter(|h| h.state == LinkState::Active) else {
            return Err(LinkError::WiseUserBusy);
        };
        tracing::warn!(link.id = %link.id, other.link.id = %holder.id, "the signup email's Wise user is linked to another customer; code not exchanged, link to review");
        let t = Transition::new(
            link,
            link.state,
            LinkEvent::WiseUserLinkedElsewhere,
            actor,
            &format!(
                "the Wise user of this email is already linked to another customer (link {}); the code was not exchanged",
                holder.id
            ),
        )
        .changes(self.in_review_elsewhere(holder.wise_user_id));
        self.apply(t).await
    }

    /// After `link` (now `verifying`, holding new tokens of `wise_user_id`) was exchanged: when
    /// another link is active with that Wise user, hands it the new tokens and sends `link` to
    /// review. `None` when no other link holds the Wise user.
    pub(super) async fn wise_user_taken(
        &self,
        link: &LinkRow,
        wise_user_id: WiseUserId,
        actor: &str,
    ) -> Result<Option<LinkRow>, LinkError> {
        let id = link.id.clone();
        let Some(holder) = self
            .db
            .run(move |c| links::active_with_wise_user(c, wise_user_id, &id))
            .await?
        else {
            return Ok(None);
        };
        let holder_id = holder.id.clone();
        self.hand_over(link, holder).await?;
        tracing::warn!(link.id = %link.id, "the Wise user is linked to another customer; its new tokens went to that link, this one to review");
        let t = Transition::new(
            link,
            LinkState::Verifying,
            LinkEvent::WiseUserLinkedElsewhere,
            actor,
            &format!(
                "the Wise user is already linked to another customer (link {}); the new tokens went to that link",
                holder_id
            ),
        )
        .changes(self.in_review_elsewhere(Some(wise_user_id)));
        self.apply(t).await.map(Some)
    }

    /// Stores `from`'s tokens (the newest of the Wise user) on `to`, the active link, and ends any
    /// refresh lease on it: a refresh in flight with the old, ended refresh token writes nothing.
    /// Tried again when `to` changed meanwhile.
    async fn hand_over(&self, from: &LinkRow, mut to: LinkRow) -> Result<(), LinkError> {
        let tokens = UserTokens {
            access_token: self.open_secret(from, SealedColumn::AccessToken)?,
            refresh_token: self.open_secret(from, SealedColumn::RefreshToken)?,
            expires_at: from
                .access_expires_at
                .ok_or_else(|| anyhow::anyhow!("link {} has tokens but no expiry", from.id))?
                .and_utc(),
            refresh_token_expires_at: None,
            scope: None,
        };
        for _ in 0..3 {
            let changes = self.token_changes(&to.id, &tokens).then(TokenChanges {
                refresh_generation: Some(to.refresh_generation + 1),
                refresh_leased_until: Some(None),
                refresh_failures: Some(0),
                refresh_failing_since: Some(None),
                refresh_in_doubt_at: Some(None),
                refreshed_at: Some(Some(self.clock.now())),
                ..TokenChanges::default()
            });
            let t = Transition::new(
                &to,
                LinkState::Active,
                LinkEvent::TokensReissued,
                "wiselink",
                &format!(
                    "link {} of another customer made Wise issue new tokens for this Wise user",
                    from.id
                ),
            )
            .changes(changes.into());
            match self.apply(t).await {
                Ok(_) => return Ok(()),
                Err(LinkError::Busy) => to = self.reload(&to.id).await?,
                // No longer active (unlinked, revoked meanwhile): nothing left to keep working.
                Err(LinkError::WrongState(_)) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Err(LinkError::Busy)
    }

    /// A link in review because its Wise user is linked elsewhere: no tokens (the customer's page
    /// session stays, to show the link in review), the reason, and which Wise user. Nothing was
    /// compared, so no comparison is kept (the staff screen shows none).
    fn in_review_elsewhere(&self, wise_user_id: Option<WiseUserId>) -> LinkChanges {
        LinkChanges {
            wise_user_id: wise_user_id.map(Some),
            session_token_hash: None,
            ..in_review_unchecked(ReviewReason::WiseUserLinkedElsewhere)
        }
    }
}
