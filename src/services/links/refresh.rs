//! Renewing an active link's tokens under its refresh lease ([`db::links::claim_due`] /
//! [`claim_one`](crate::db::links::claim_one)), for the refresher and for the access-token call.
//!
//! What a refresh answer means:
//! - new tokens: stored (whatever refresh token Wise returned), the lease ends;
//! - `invalid_grant`: the refresh token is dead. A partner-created user whose registration code
//!   still works gets new tokens from that grant; otherwise the link needs re-linking, in the
//!   transaction that wipes its tokens and queues one email to the customer;
//! - anything else (5xx, 429, timeouts, resets) is transient: the tokens are kept, the next try
//!   waits (exponential, jittered, `Retry-After` honoured), and only after
//!   `tokens.failing_after_secs` of failures is the link flagged — never re-linked for it.
//!
//! A refresh whose answer never arrived is in doubt: Wise may have replaced the tokens, which
//! kills the stored access token and, where refresh tokens rotate, the stored refresh token too.
//! It is never retried blindly (the client does not repeat it; `invalid_grant` after it does not
//! mean "revoked"). The next try first asks Wise whether the stored access token still works
//! (`GET /v1/me`): if it does, the lost refresh did nothing and refreshing again is an ordinary
//! refresh. If it does not, Wise acted: the stored refresh token is tried once more (it still
//! works where Wise does not rotate them; where it does, the new pair existed only in the lost
//! answer, so nothing is lost by trying), and its `invalid_grant` means the tokens are lost — a
//! partner-created user is granted new ones with the registration code, anyone else must link
//! again (`tokens_lost`, not `access_revoked`).

use super::{AccessToken, LinkError, LinkService};
use crate::db::links::{self, LinkRow, SealedColumn, TokenChanges, Transition};
use crate::domain::{LinkEvent, LinkId, LinkOrigin, LinkState};
use crate::wise::{UserTokens, WiseError};
use chrono::NaiveDateTime;

/// Seconds of renewing one refresher claim is sized for.
pub const CLAIM_SECS: i64 = 5;

/// How one renewal ended.
pub enum Renewal {
    /// New tokens are stored.
    Renewed(AccessToken),
    /// This try failed in a way Wise did not call final; the tokens are kept (but may be dead if
    /// `in_doubt`) and the next try is due at `retry_at`.
    Deferred {
        retry_at: NaiveDateTime,
        retry_after: Option<u64>,
        in_doubt: bool,
    },
    /// Wise refused the refresh for good: the link needs re-linking now.
    RelinkRequired,
    /// The lease passed to someone else (or the link left `active`) meanwhile: nothing written.
    Superseded,
}

impl Renewal {
    /// The outcome's name in metrics and logs.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Renewed(_) => "renewed",
            Self::Deferred { in_doubt: true, .. } => "in_doubt",
            Self::Deferred { .. } => "deferred",
            Self::RelinkRequired => "relink_required",
            Self::Superseded => "superseded",
        }
    }
}

/// What the check of an in-doubt link found.
enum Doubt {
    /// No refresh in doubt, or the stored access token still works: refreshing is safe.
    Clear,
    /// Wise acted on the lost refresh: the stored access token is dead.
    Acted,
}

impl LinkService {
    /// Claims the refresh lease of up to `batch` links that are due, for the refresher.
    /// How many due links one refresher pass claims: `batch`, or fewer when the Wise call budget
    /// lets background work renew fewer than that in [`CLAIM_SECS`] (claimed links would only
    /// wait on it, holding their leases).
    pub fn refresh_batch(&self, batch: i64) -> i64 {
        match self.wise.budget_limits() {
            Some(limits) => batch
                .min(i64::from(limits.background_per_second) * CLAIM_SECS)
                .max(1),
            None => batch,
        }
    }

    pub async fn claim_due(&self, batch: i64) -> Result<Vec<LinkRow>, LinkError> {
        let now = self.clock.now();
        let lease_until = now + self.tokens.lease;
        Ok(self
            .db
            .run(move |conn| links::claim_due(conn, now, lease_until, batch))
            .await?)
    }

    /// Gives back the leases of claimed links whose refresh was not started (the refresher is
    /// stopping), each at the generation it was claimed at.
    pub async fn release_leases(&self, claimed: Vec<(LinkId, i64)>) -> Result<usize, LinkError> {
        Ok(self
            .db
            .run(move |conn| links::release(conn, &claimed))
            .await?)
    }

    /// Renews `link`, whose refresh lease the caller has just claimed (its generation is the
    /// row's), and settles the lease. Every Wise call ends 2 s before the lease does; a lease
    /// already that close to its end is left alone (it lapses, and the link is taken up again, in
    /// doubt) — a batch the refresher could not get through in time.
    pub async fn renew(&self, link: LinkRow) -> Result<Renewal, LinkError> {
        let left = link
            .refresh_leased_until
            .map_or(self.tokens.lease, |until| until - self.clock.now())
            - chrono::Duration::seconds(2);
        let Some(budget) = left.to_std().ok().filter(|b| b.as_millis() >= 500) else {
            return Ok(Renewal::Superseded);
        };
        crate::wise::deadline::within(budget, self.renew_leased(link)).await
    }

    async fn renew_leased(&self, link: LinkRow) -> Result<Renewal, LinkError> {
        let in_doubt = link.refresh_in_doubt_at.is_some();
        let doubt = if in_doubt {
            match self.check_access_token(&link).await {
                Ok(doubt) => doubt,
                Err(e) => return self.defer(&link, &e, true).await,
            }
        } else {
            Doubt::Clear
        };
        // A holder that stalled past its lease (a frozen process, a slow check above) sends
        // nothing: someone else may hold the link now, and two refreshes would kill the token
        // that one of them hands out.
        if !link.refresh_leased(self.clock.now()) {
            return Ok(Renewal::Superseded);
        }
        let refresh = self.open_secret(&link, SealedColumn::RefreshToken)?;
        match self.wise.refresh(&refresh).await {
            Ok(tokens) => self.store_renewed(&link, &tokens, None).await,
            Err(e) if e.is_invalid_grant() => {
                let event = match doubt {
                    Doubt::Acted => LinkEvent::TokensLost,
                    Doubt::Clear => LinkEvent::AccessRevoked,
                };
                self.after_dead_refresh(&link, event).await
            }
            Err(e) => {
                // Still in doubt if Wise acted on the lost refresh (the stored access token is
                // dead), or may have acted on this one.
                let in_doubt = matches!(doubt, Doubt::Acted) || e.may_have_acted();
                self.defer(&link, &e, in_doubt).await
            }
        }
    }

    /// Asks Wise whether the stored access token still works (`GET /v1/me`).
    async fn check_access_token(&self, link: &LinkRow) -> Result<Doubt, WiseError> {
        let Ok(access) = self.open_secret(link, SealedColumn::AccessToken) else {
            return Ok(Doubt::Acted);
        };
        match self.wise.me(&access).await {
            Ok(_) => Ok(Doubt::Clear),
            Err(e) if e.is_invalid_token() => Ok(Doubt::Acted),
            Err(e) => Err(e),
        }
    }

    /// The refresh token is dead (refused, or spent by a refresh whose answer was lost). A
    /// partner-created user is granted new tokens with the registration code, unless they
    /// reclaimed the account; otherwise the customer must link again.
    async fn after_dead_refresh(
        &self,
        link: &LinkRow,
        event: LinkEvent,
    ) -> Result<Renewal, LinkError> {
        let created = link.origin == Some(LinkOrigin::Created) && link.registration_code.is_some();
        if !created {
            return self.relink_required(link, event, None).await;
        }
        let code = self.open_secret(link, SealedColumn::RegistrationCode)?;
        match self
            .wise
            .registration_code_grant(&link.signup_email, &code)
            .await
        {
            Ok(tokens) => {
                self.store_renewed(link, &tokens, Some(LinkEvent::TokensRegranted))
                    .await
            }
            // Wise's documented answer once the customer reclaimed the account: from now on
            // only the linking flow works, so the registration code is destroyed.
            Err(e) if e.is_invalid_grant() => {
                let reclaimed = "the customer reclaimed the Wise account: the registration code no longer works";
                self.relink_required(link, event, Some(reclaimed)).await
            }
            Err(e) => self.defer(link, &e, e.may_have_acted()).await,
        }
    }

    /// Stores new tokens and ends the lease; with an event when something worth the audit trail
    /// happened (a re-grant, or a flagged link recovering).
    async fn store_renewed(
        &self,
        link: &LinkRow,
        tokens: &UserTokens,
        event: Option<LinkEvent>,
    ) -> Result<Renewal, LinkError> {
        let now = self.clock.now();
        let changes = self.token_changes(&link.id, tokens).then(TokenChanges {
            refresh_generation: Some(link.refresh_generation + 1),
            refresh_leased_until: Some(None),
            refresh_failures: Some(0),
            refresh_failing_since: Some(None),
            refresh_flagged_at: Some(None),
            refresh_in_doubt_at: Some(None),
            refreshed_at: Some(Some(now)),
            ..TokenChanges::default()
        });
        let event = event.or(link.refresh_flagged_at.map(|_| LinkEvent::RefreshRecovered));
        let written = match event {
            Some(event) => {
                let reason = match event {
                    LinkEvent::TokensRegranted => {
                        "refresh refused; new tokens from the registration code"
                    }
                    _ => "refreshes work again",
                };
                let t = Transition::new(link, LinkState::Active, event, "refresher", reason)
                    .under_lease(link.refresh_generation)
                    .changes(changes.into());
                match self.commit(vec![t], None).await {
                    Ok(_) => true,
                    Err(LinkError::Busy | LinkError::WrongState(_)) => false,
                    Err(e) => return Err(e),
                }
            }
            None => self.settle(link, changes).await?,
        };
        Ok(if written {
            Renewal::Renewed(AccessToken {
                token: tokens.access_token.clone(),
                expires_at: crate::clock::stored(tokens.expires_at),
                profile_id: link.wise_profile_id,
            })
        } else {
            Renewal::Superseded
        })
    }

    /// Writes `changes` if the lease is still `link`'s; returns whether it was.
    pub(super) async fn settle(
        &self,
        link: &LinkRow,
        changes: TokenChanges,
    ) -> Result<bool, LinkError> {
        let write = links::Settlement {
            id: link.id.clone(),
            generation: link.refresh_generation,
            changes,
        };
        Ok(self.db.run(move |conn| links::settle(conn, &write)).await?)
    }
}
