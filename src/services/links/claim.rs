//! Claiming a partner-created Wise account. Wise's guide: a user the partner created must be able
//! to take the account over — set a password, review the prefilled details and authorise the
//! partner — through the authorization page with a 5-minute `claim_account_code`. After the trip
//! comes back, the link holds the authorization-code tokens and the registration code is
//! destroyed: Wise refuses it for a reclaimed user from then on.

use super::redirect::{Authorized, Purpose, Redirect, Returned};
use super::{LinkError, LinkService, unavailable};
use crate::db::links::{self, LinkChanges, LinkRow, SealedColumn, TokenChanges, Transition};
use crate::domain::{LinkEvent, LinkId, LinkOrigin, LinkState};
use chrono::Duration;
use secrecy::SecretString;

/// How long Wise's claim code works.
const CLAIM_CODE_MINUTES: i64 = 5;

impl LinkService {
    /// A claim trip for an active, partner-created link not claimed yet: a new claim code from
    /// Wise and the authorization URL carrying it. Each call asks Wise for a new code.
    pub async fn claim(&self, link_id: &LinkId) -> Result<Redirect, LinkError> {
        self.bounded(self.start_claim(link_id)).await
    }

    async fn start_claim(&self, link_id: &LinkId) -> Result<Redirect, LinkError> {
        let link = self.reload(link_id).await?;
        claimable(&link)?;
        let access = self.fresh_access_token(link_id).await?;
        let code = self.open_secret(&link, SealedColumn::RegistrationCode)?;
        let claim = self
            .wise
            .claim_account_code(&access.token, &code)
            .await
            .map_err(|e| unavailable(&e))?;
        let mut trip = self
            .issue_state_for(link_id, None, Purpose::Claim, Some(&claim))
            .await?;
        let claim_ends = self.clock.now() + Duration::minutes(CLAIM_CODE_MINUTES);
        trip.expires_at = trip.expires_at.min(claim_ends);
        Ok(trip)
    }

    /// The claim trip came back: the code is exchanged once, under the link's refresh lease (so
    /// no refresh runs meanwhile), checked to be the same Wise user, and its tokens replace the
    /// registration-code ones.
    pub(super) async fn claimed(
        &self,
        link: LinkRow,
        returned: Returned,
    ) -> Result<Authorized, LinkError> {
        claimable(&link)?;
        if returned.error.is_some() {
            return Ok(Authorized::Declined(link));
        }
        let code = returned.code_for(&link)?;
        let now = self.clock.now();
        let (id, generation, lease_until) = (
            link.id.clone(),
            link.refresh_generation,
            now + self.tokens.lease,
        );
        let leased = self
            .db
            .run(move |conn| links::claim_one(conn, &id, generation, now, lease_until))
            .await?
            .ok_or(LinkError::Busy)?;
        let secret = SecretString::from(code.expose().to_owned());
        let tokens = match self.wise.authorization_code_grant(&secret).await {
            Ok(tokens) => tokens,
            Err(e) => {
                self.end_lease(&leased, e.may_have_acted()).await?;
                return Err(if e.is_invalid_grant() {
                    LinkError::CodeAlreadyUsed
                } else {
                    unavailable(&e)
                });
            }
        };
        let same_user = match self.wise.me(&tokens.access_token).await {
            Ok(user) => Some(user.id) == leased.wise_user_id.map(|u| u.get()),
            Err(e) => {
                self.end_lease(&leased, true).await?;
                return Err(unavailable(&e));
            }
        };
        if !same_user {
            self.end_lease(&leased, true).await?;
            return Err(anyhow::anyhow!("a claim trip returned another Wise user").into());
        }
        let changes =
            LinkChanges::from(self.token_changes(&leased.id, &tokens)).then(LinkChanges {
                claimed_at: Some(Some(now)),
                registration_code: Some(None),
                refresh_generation: Some(leased.refresh_generation + 1),
                refresh_leased_until: Some(None),
                refresh_in_doubt_at: Some(None),
                ..LinkChanges::default()
            });
        let t = Transition::new(
            &leased,
            LinkState::Active,
            LinkEvent::AccountClaimed,
            "customer",
            "the customer claimed the Wise account; the registration code is destroyed",
        )
        .under_lease(leased.refresh_generation)
        .changes(changes);
        let row = self.apply(t).await?;
        Ok(Authorized::Exchanged(self.with_customer(row).await?))
    }

    /// Ends a claim's hold on the refresh lease without new tokens; `in_doubt` when Wise may have
    /// replaced the tokens meanwhile.
    async fn end_lease(&self, link: &LinkRow, in_doubt: bool) -> Result<(), LinkError> {
        let now = self.clock.now();
        let changes = TokenChanges {
            refresh_generation: Some(link.refresh_generation + 1),
            refresh_leased_until: Some(None),
            refresh_in_doubt_at: Some(in_doubt.then_some(now)),
            ..TokenChanges::default()
        };
        let write = links::Settlement {
            id: link.id.clone(),
            generation: link.refresh_generation,
            changes,
        };
        self.db.run(move |conn| links::settle(conn, &write)).await?;
        Ok(())
    }
}

/// Only an active link of a user the partner created, not claimed yet, can be claimed.
fn claimable(link: &LinkRow) -> Result<(), LinkError> {
    let created = link.origin == Some(LinkOrigin::Created);
    if link.state != LinkState::Active
        || !created
        || link.claimed_at.is_some()
        || link.registration_code.is_none()
    {
        return Err(LinkError::NotClaimable);
    }
    Ok(())
}
