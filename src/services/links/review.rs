//! Staff (or a partner's back office over the API) deciding a link the identity check could not
//! vouch for: approve, reject, unlock a locked link. Every decision is one guarded commit, so two
//! people deciding the same link at once end with exactly one decision; the loser is told who
//! decided.

use super::{LinkError, LinkService, wiped};
use crate::db::links::{self, LinkChanges, LinkRow, Pin, Transition};
use crate::domain::{LinkEvent, LinkId, LinkState};
use chrono::NaiveDateTime;

/// Who decides, why, and on which version of the link.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    /// `staff:<user>` or `api_key:<id>`.
    pub actor: &'a str,
    /// Required: the audit trail says why.
    pub reason: &'a str,
    /// The link's `updated_at` as the decider saw it; a link changed since is not decided.
    pub seen: Option<NaiveDateTime>,
}

/// What an approval did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// The link is active.
    Activated,
    /// Four-eyes: the first approval is recorded; another reviewer must approve too.
    AwaitingSecond,
}

impl LinkService {
    /// Approves a link in review. With `approvals_required = 2` the first approval is recorded
    /// and a second, different person's makes the link active. A link without tokens is never
    /// activated (the database refuses it too).
    pub async fn approve(
        &self,
        id: &LinkId,
        decision: Decision<'_>,
        approvals_required: i32,
    ) -> Result<(LinkRow, Approval), LinkError> {
        let link = self
            .to_decide(id, &decision, &[LinkState::NeedsReview])
            .await?;
        if link.access_token.is_none() || link.refresh_token.is_none() {
            return Err(LinkError::NoTokens);
        }
        let seen = decision.seen.unwrap_or(link.updated_at);
        if approvals_required >= 2 && link.approvals == 0 {
            let t = Transition::new(
                &link,
                LinkState::NeedsReview,
                LinkEvent::ApprovalRecorded,
                decision.actor,
                decision.reason,
            )
            .changes(LinkChanges {
                approvals: Some(1),
                first_approved_by: Some(Some(decision.actor.to_owned())),
                ..LinkChanges::default()
            })
            .unchanged_since(seen);
            let row = self.decide(&link, vec![t], None).await?;
            return Ok((row, Approval::AwaitingSecond));
        }
        if approvals_required >= 2
            && let Some(first) = &link.first_approved_by
            && self.same_approver(&link.id, first, decision.actor).await?
        {
            return Err(LinkError::SecondApproverNeeded);
        }
        let customer = self.customer_of(&link).await?;
        let (mail, dispute) = self.linked_mail(id, &link.signup_email, &customer, false)?;
        let t = Transition::new(
            &link,
            LinkState::NeedsReview,
            LinkEvent::StaffApproved,
            decision.actor,
            decision.reason,
        )
        .changes(LinkChanges {
            approvals: Some(link.approvals + 1),
            ..dispute
        })
        .queue(Some(mail))
        .unchanged_since(seen);
        let pin = link.wise_user_id.map(|wise_user_id| Pin {
            customer_id: customer.id,
            wise_user_id,
        });
        let row = match self.decide(&link, vec![t], pin).await {
            // Its Wise user (or, email-code flow, its email's) became another customer's link
            // while this one waited for review.
            Err(LinkError::WiseUserBusy) => Err(LinkError::WiseUserLinkedElsewhere),
            decided => decided,
        }?;
        tracing::info!(link.id = %id, actor = decision.actor, "link approved");
        Ok((row, Approval::Activated))
    }

    /// Rejects a link in review or locked: its tokens and registration code are destroyed and
    /// the customer gets a neutral "we could not link your account" email.
    pub async fn reject(&self, id: &LinkId, decision: Decision<'_>) -> Result<LinkRow, LinkError> {
        let link = self
            .to_decide(id, &decision, &[LinkState::NeedsReview, LinkState::Locked])
            .await?;
        let customer = self.customer_of(&link).await?;
        let mail = self.not_linked_mail(id, &link.signup_email, &customer)?;
        let t = Transition::new(
            &link,
            link.state,
            LinkEvent::StaffRejected,
            decision.actor,
            decision.reason,
        )
        .changes(LinkChanges {
            registration_code: Some(None),
            code_expires_at: Some(None),
            ..wiped()
        })
        .queue(Some(mail))
        .unchanged_since(decision.seen.unwrap_or(link.updated_at));
        let row = self.decide(&link, vec![t], None).await?;
        tracing::info!(link.id = %id, actor = decision.actor, "link rejected");
        Ok(row)
    }

    /// Unlocks a locked link: Wise is asked to email a new code, the customer gets a new code
    /// window, their attempts back, and a new code-entry page link.
    pub async fn unlock(&self, id: &LinkId, decision: Decision<'_>) -> Result<LinkRow, LinkError> {
        let link = self.to_decide(id, &decision, &[LinkState::Locked]).await?;
        let reason = decision.reason.to_owned();
        self.bounded(self.ask_wise_again(
            link,
            decision.actor,
            super::resend::Ask::Unlock { reason },
        ))
        .await
        .map(|resent| resent.link)
    }

    /// Whether `second` is the same person as `first`, who gave the link's first approval. Any
    /// API key stands for the partner (one approver, whatever key); a staff account or API key
    /// created after the first approval stands for whoever created it, so an approver cannot
    /// make themselves a second one.
    async fn same_approver(
        &self,
        id: &LinkId,
        first: &str,
        second: &str,
    ) -> Result<bool, LinkError> {
        let (id, first, second) = (id.clone(), first.to_owned(), second.to_owned());
        Ok(self
            .db
            .run(move |conn| {
                let since = links::events(conn, &id)?
                    .into_iter()
                    .rev()
                    .find(|e| e.event.as_deref() == Some(LinkEvent::ApprovalRecorded.as_str()))
                    .map(|e| e.created_at);
                Ok::<_, crate::db::DbError>(
                    approver(conn, &first, since)? == approver(conn, &second, since)?,
                )
            })
            .await?)
    }

    /// The link to decide, if it is in one of `states` and unchanged since the decider saw it.
    async fn to_decide(
        &self,
        id: &LinkId,
        decision: &Decision<'_>,
        states: &[LinkState],
    ) -> Result<LinkRow, LinkError> {
        let link = self.reload(id).await?;
        if decision.seen.is_some_and(|seen| seen != link.updated_at)
            || !states.contains(&link.state)
        {
            return Err(self.decided_meanwhile(&link).await);
        }
        Ok(link)
    }

    /// Commits a decision; a link that moved first gets who moved it.
    async fn decide(
        &self,
        link: &LinkRow,
        transitions: Vec<Transition>,
        pin: Option<Pin>,
    ) -> Result<LinkRow, LinkError> {
        match self.commit(transitions, pin).await {
            Err(LinkError::Busy) => {
                let fresh = self.reload(&link.id).await?;
                Err(self.decided_meanwhile(&fresh).await)
            }
            other => other,
        }
    }

    /// Why `link` cannot be decided as asked: someone decided it (or it moved on) meanwhile.
    async fn decided_meanwhile(&self, link: &LinkRow) -> LinkError {
        let id = link.id.clone();
        let last = self
            .db
            .run(move |conn| links::events(conn, &id))
            .await
            .ok()
            .and_then(|events| events.into_iter().last());
        LinkError::AlreadyDecided {
            state: link.state,
            by: last.map(|e| e.actor).unwrap_or_default(),
        }
    }
}

/// Who stands behind `actor` (`staff:<user>` or `api_key:<id>`) for four-eyes: an account or key
/// created by a staff member at or after `since` stands for that staff member (followed back a
/// few steps: an account created by an account created meanwhile); any other API key stands for
/// the partner.
fn approver(
    conn: &mut crate::db::DbConnection,
    actor: &str,
    since: Option<NaiveDateTime>,
) -> Result<String, crate::db::DbError> {
    let mut actor = actor.to_owned();
    if let Some(since) = since {
        for _ in 0..8 {
            let subject = match actor.strip_prefix("staff:") {
                Some(username) => username.to_owned(),
                None => actor.clone(),
            };
            match crate::db::staff::created_since_by(conn, &subject, since)? {
                Some(creator) if creator.starts_with("staff:") && creator != actor => {
                    actor = creator;
                }
                _ => break,
            }
        }
    }
    Ok(if actor.starts_with("api_key:") {
        "partner".to_owned()
    } else {
        actor
    })
}
