//! Verification: read the Wise identity behind new tokens and decide — `active` when the
//! personal profile's date of birth and the email match, `needs_review` when staff must decide,
//! `rejected` when the account has no profile.

use super::{LinkError, LinkService, unavailable, wiped};
use crate::db::customers::CustomerRow;
use crate::db::links::SealedColumn;
use crate::db::links::{LinkChanges, LinkRow, Pin, Transition};
use crate::domain::{
    Assessment, DateOfBirth, EmailAddress, LinkEvent, LinkState, WiseIdentity, WiseProfile,
    WiseProfileId, WiseUserId, assess,
};
use crate::wise::ProfileKind;
use secrecy::SecretString;

impl LinkService {
    /// Commits `stored` (the transition that stores the new tokens), then verifies the link with
    /// `access` and commits the verdict. The tokens are committed first, before Wise is asked
    /// anything else: a crash or an outage from here on leaves a `verifying` link holding them,
    /// which the recovery worker finishes, instead of an `exchanging` one whose tokens are lost.
    pub(super) async fn verify(
        &self,
        link: &LinkRow,
        customer: &CustomerRow,
        stored: Transition,
        access: &SecretString,
        actor: &str,
    ) -> Result<LinkRow, LinkError> {
        let verifying = self.apply(stored).await?;
        let identity = self.read_identity(access).await?;
        self.decide_verified(&verifying, link, customer, &identity, actor)
            .await
    }

    /// Finishes the check of a link left in `verifying` with the tokens it holds.
    pub(super) async fn verify_stored(
        &self,
        link: &LinkRow,
        customer: &CustomerRow,
        actor: &str,
    ) -> Result<LinkRow, LinkError> {
        let token = self.open_secret(link, crate::db::links::SealedColumn::AccessToken)?;
        let identity = self.read_identity(&token).await?;
        self.decide_verified(link, link, customer, &identity, actor)
            .await
    }

    /// Commits the verdict on `verifying` (the link holding the new tokens; `link` as the check
    /// began), unless the Wise user is actively linked elsewhere — found before, or by the
    /// activation the database refused because another link got there first.
    async fn decide_verified(
        &self,
        verifying: &LinkRow,
        link: &LinkRow,
        customer: &CustomerRow,
        identity: &WiseIdentity,
        actor: &str,
    ) -> Result<LinkRow, LinkError> {
        // Boxed: a rare path, kept out of the size of every verification's future.
        let taken = || Box::pin(self.wise_user_taken(verifying, identity.user_id, actor));
        if let Some(row) = taken().await? {
            return Ok(row);
        }
        let (verdict, pin) = self.verdict(link, customer, identity, actor)?;
        match self.commit(vec![verdict], pin).await {
            Err(LinkError::WiseUserLinkedElsewhere) => taken().await?.ok_or(LinkError::Busy),
            decided => decided,
        }
    }

    /// What Wise says about the account behind an access token: the user, its email, its
    /// profiles.
    async fn read_identity(&self, access: &SecretString) -> Result<WiseIdentity, LinkError> {
        // Independent reads: asked at once, so the customer waits for one round trip to Wise.
        let (me, profiles) = tokio::join!(self.wise.me(access), self.wise.profiles(access));
        let me = me.map_err(|e| unavailable(&e))?;
        let (profiles, profiles_listed) = match profiles {
            Ok(p) => (
                p.into_iter()
                    .map(|p| WiseProfile {
                        id: Some(WiseProfileId::new(p.id)),
                        personal: p.kind == ProfileKind::Personal,
                        date_of_birth: p.date_of_birth,
                    })
                    .collect(),
                true,
            ),
            Err(e) if e.is_transient() => return Err(unavailable(&e)),
            // Wise refused the list (403, 404, …): `/v1/me`'s details, which mirror the personal
            // profile, are kept for the reviewer, but vouch for nothing on their own.
            Err(e) => {
                tracing::warn!(error = %e, "Wise refused to list the profiles; the link goes to review");
                let mirrored = me.date_of_birth().map(|d| WiseProfile {
                    id: None,
                    personal: true,
                    date_of_birth: Some(d),
                });
                (mirrored.into_iter().collect(), false)
            }
        };
        Ok(WiseIdentity {
            user_id: WiseUserId::new(me.id),
            email: me.email.clone(),
            profiles,
            profiles_listed,
        })
    }

    /// The identity check's outcome for a `verifying` link: active, needs review, or rejected,
    /// with the "linked" email and the customer's pin when it is a match.
    fn verdict(
        &self,
        link: &LinkRow,
        customer: &CustomerRow,
        identity: &WiseIdentity,
        actor: &str,
    ) -> Result<(Transition, Option<Pin>), LinkError> {
        let signup_email = EmailAddress::parse(&link.signup_email)
            .map_err(|e| anyhow::anyhow!("stored signup email: {e}"))?;
        let mut verdict = assess(
            DateOfBirth::from_stored(customer.date_of_birth),
            &signup_email,
            customer.wise_user_id,
            identity,
        );
        // An imported link holds, until now, the Wise user and profile the partner named.
        let imported = link.imported_at.is_some();
        if imported && let (Some(user), Some(profile)) = (link.wise_user_id, link.wise_profile_id) {
            verdict = verdict.expecting(user, profile);
        }
        let compared = self.compared(link, customer, &verdict)?;
        let changes = if verdict.event == LinkEvent::NoProfile {
            LinkChanges {
                wise_user_id: Some(Some(identity.user_id)),
                ..compared.then(wiped())
            }
        } else {
            LinkChanges {
                wise_user_id: Some(Some(identity.user_id)),
                wise_profile_id: Some(verdict.profile_id),
                ..compared
            }
        };
        let matched = verdict.event == LinkEvent::IdentityMatched;
        // No email for an import: the customer did nothing just now.
        let (mail, dispute) = match matched && !imported {
            true => {
                let (mail, dispute) =
                    self.linked_mail(&link.id, &link.signup_email, customer, false)?;
                (Some(mail), dispute)
            }
            false => (None, LinkChanges::default()),
        };
        tracing::info!(link.id = %link.id, event = verdict.event.as_str(), review_reason = verdict.review_reason.map(|r| r.as_str()), "link verified");
        let t = Transition::new(
            link,
            LinkState::Verifying,
            verdict.event,
            actor,
            verdict.reason,
        )
        .changes(changes.then(dispute))
        .queue(mail);
        let pin = matched.then_some(Pin {
            customer_id: customer.id,
            wise_user_id: identity.user_id,
        });
        Ok((t, pin))
    }

    /// What the check compared, to keep with the link: the partner's values as they are now and
    /// Wise's, sealed. A new check starts a new review, so earlier approvals no longer count.
    fn compared(
        &self,
        link: &LinkRow,
        customer: &CustomerRow,
        verdict: &Assessment,
    ) -> Result<LinkChanges, LinkError> {
        let wise = serde_json::to_vec(&verdict.wise).map_err(anyhow::Error::from)?;
        Ok(LinkChanges {
            review_reason: Some(verdict.review_reason),
            checked_at: Some(Some(self.clock.now())),
            checked_partner_dob: Some(Some(customer.date_of_birth)),
            checked_partner_email: Some(Some(customer.email.clone())),
            checked_wise: Some(Some(self.seal_bytes(
                &link.id,
                SealedColumn::CheckedWise,
                &wise,
            ))),
            approvals: Some(0),
            first_approved_by: Some(None),
            ..LinkChanges::default()
        })
    }
}
