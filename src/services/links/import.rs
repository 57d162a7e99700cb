//! Bringing a link the partner already holds: the customer, the Wise user and profile ids, and a
//! refresh token (and, for a Wise user the partner created, its registration code). The row is
//! written first — the link `verifying`, the refresh token sealed — and then proven like a fresh
//! link: a refresh at Wise gives the tokens (committed before anything else is asked), the Wise
//! identity is read, and the profile's date of birth, the email and the Wise user and profile the
//! partner named decide `active`, `needs_review` or `rejected`. A refresh token Wise refuses ends
//! in `relink_required`. No email goes to the customer: they did nothing.
//!
//! A link whose proof was cut off (a crash, Wise unavailable) stays `verifying`; the next import
//! of the file, or the recovery worker, takes it up once it is stale, with the refresh token as
//! it was left.

use super::{LinkError, LinkService, unavailable, wiped};
use crate::db::links::import::{self, Begun, ImportRefused, NewImport};
use crate::db::links::{self, LinkChanges, LinkRow, OwnChanges, SealedColumn, Transition};
use crate::domain::{
    CustomerDetails, CustomerRef, EmailAddress, LinkEvent, LinkId, LinkOrigin, LinkState,
    WiseProfileId, WiseUserId,
};
use crate::wise::{UserTokens, budget};
use chrono::Duration;
use secrecy::SecretString;

/// One row of an import, read and checked.
pub struct ImportRow {
    pub customer_ref: CustomerRef,
    pub details: CustomerDetails,
    pub wise_user_id: WiseUserId,
    pub wise_profile_id: WiseProfileId,
    pub refresh_token: SecretString,
    /// Given for a Wise user the partner created: tokens can be granted again with it.
    pub registration_code: Option<SecretString>,
    /// The email the Wise user signed up with, when it is not the customer's email.
    pub signup_email: Option<EmailAddress>,
}

/// How one row ended.
pub enum Imported {
    /// Written and proven: the link's state says how (`active`, `needs_review`, `rejected`,
    /// `relink_required`).
    Proven(LinkRow),
    /// Already there from an earlier import (or linked to the same Wise user): nothing changed.
    Unchanged(LinkRow),
    Refused(ImportRefused),
}

/// How often a row's proof is tried when Wise is unavailable, before the row is reported and
/// left for a later run (or the recovery worker).
const TRIES: u32 = 5;

impl LinkService {
    /// Writes `row` and proves it. `stale_after` is when another run's unfinished link may be
    /// taken over (`workers.recovery_stale_after_secs`). Errors leave the link `verifying`.
    pub async fn import(
        &self,
        row: ImportRow,
        stale_after: Duration,
        actor: &str,
    ) -> Result<Imported, LinkError> {
        let link_id = LinkId::generate();
        let refresh = self.seal(&link_id, SealedColumn::RefreshToken, &row.refresh_token);
        let code = row
            .registration_code
            .as_ref()
            .map(|c| self.seal(&link_id, SealedColumn::RegistrationCode, c));
        let (now, audit, attempts) = (
            self.clock.now(),
            self.audit.clone(),
            self.policy.max_attempts,
        );
        let actor_owned = actor.to_owned();
        let begun = self
            .db
            .run(move |conn| {
                let signup = row.signup_email.as_ref().unwrap_or(&row.details.email);
                let new = NewImport {
                    link_id: &link_id,
                    customer_ref: &row.customer_ref,
                    details: &row.details,
                    signup_email: signup.as_str(),
                    origin: match code {
                        Some(_) => LinkOrigin::Created,
                        None => LinkOrigin::Linked,
                    },
                    wise_user_id: row.wise_user_id,
                    wise_profile_id: row.wise_profile_id,
                    refresh_token: &refresh,
                    registration_code: code.as_deref(),
                    attempts_remaining: attempts,
                    actor: &actor_owned,
                };
                import::begin(conn, &new, &audit, now)
            })
            .await?;
        let (link, resumed) = match begun {
            Begun::Inserted(link) => (link, false),
            Begun::Unfinished(link) => match self.take_over(link, stale_after).await? {
                Ok(link) => (link, true),
                Err(decided) => return Ok(Imported::Unchanged(decided)),
            },
            Begun::Unchanged(link) => return Ok(Imported::Unchanged(link)),
            Begun::Refused(why) => return Ok(Imported::Refused(why)),
        };
        self.prove_with_retries(link, resumed, actor)
            .await
            .map(Imported::Proven)
    }

    /// Waits until another run's unfinished link is stale and claims it; or, if that run (or
    /// the recovery worker) decides it meanwhile, returns it decided.
    async fn take_over(
        &self,
        mut link: LinkRow,
        stale_after: Duration,
    ) -> Result<Result<LinkRow, LinkRow>, LinkError> {
        loop {
            if link.state != LinkState::Verifying {
                return Ok(Err(link));
            }
            let now = self.clock.now();
            let stale_at = link.updated_at + stale_after;
            if stale_at <= now {
                let candidate = link.clone();
                let claimed = self
                    .db
                    .run(move |conn| links::claim(conn, &candidate, &OwnChanges::default(), now))
                    .await?;
                if let Some(claimed) = claimed {
                    return Ok(Ok(claimed));
                }
            } else {
                let wait = (stale_at - now).to_std().unwrap_or_default();
                tokio::time::sleep(wait.min(std::time::Duration::from_secs(1))).await;
            }
            link = self.reload(&link.id).await?;
        }
    }

    /// Proves `link`, trying again while Wise is unavailable (its `Retry-After` honoured), each
    /// time from the link as stored and holding it afresh, so recovery does not take it meanwhile.
    async fn prove_with_retries(
        &self,
        mut link: LinkRow,
        resumed: bool,
        actor: &str,
    ) -> Result<LinkRow, LinkError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let attempt = self.finish_imported(&link, resumed || tries > 1, actor);
            match self.bounded(budget::background(attempt)).await {
                Err(LinkError::WiseUnavailable { retry_after }) if tries < TRIES => {
                    let secs = retry_after.unwrap_or(1 << tries.min(4));
                    tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
                    // As stored: the try may have committed the refresh's tokens before it failed.
                    let current = self.reload(&link.id).await?;
                    if current.state != LinkState::Verifying {
                        return Ok(current);
                    }
                    let now = self.clock.now();
                    let held = self
                        .db
                        .run(move |conn| links::claim(conn, &current, &OwnChanges::default(), now))
                        .await?;
                    link = match held {
                        Some(held) => held,
                        // Someone else (recovery) took it up: what they decide stands.
                        None => return self.reload(&link.id).await,
                    };
                }
                other => return other,
            }
        }
    }

    /// Finishes an imported link's proof from where it stands: the refresh first if its tokens
    /// were never stored, else the identity check with the tokens it holds (never a second
    /// refresh with a refresh token Wise has replaced).
    pub(super) async fn finish_imported(
        &self,
        link: &LinkRow,
        resumed: bool,
        actor: &str,
    ) -> Result<LinkRow, LinkError> {
        if link.access_token.is_none() {
            return self.prove_imported(link, resumed, actor).await;
        }
        let customer = self.customer_of(link).await?;
        self.verify_stored(link, &customer, actor).await
    }

    /// One try at an imported link's proof: a refresh, then the identity check. `resumed` says
    /// an earlier try may have sent the stored refresh token already (its answer lost), so a
    /// refusal means the tokens were lost rather than revoked.
    async fn prove_imported(
        &self,
        link: &LinkRow,
        resumed: bool,
        actor: &str,
    ) -> Result<LinkRow, LinkError> {
        let refresh = self.open_secret(link, SealedColumn::RefreshToken)?;
        let (tokens, event) = match self.wise.refresh(&refresh).await {
            Ok(tokens) => (tokens, LinkEvent::TokensStored),
            Err(e) if e.is_invalid_grant() => match self.regrant(link).await? {
                Some(tokens) => (tokens, LinkEvent::TokensRegranted),
                None => return self.refused_refresh(link, resumed, actor).await,
            },
            Err(e) => return Err(unavailable(&e)),
        };
        let reason = match event {
            LinkEvent::TokensRegranted => {
                "Wise refused the imported refresh token; new tokens from the registration code"
            }
            _ => "the imported refresh token works: tokens stored",
        };
        let stored = Transition::new(link, LinkState::Verifying, event, actor, reason)
            .changes(self.token_changes(&link.id, &tokens).into());
        let customer = self.customer_of(link).await?;
        self.verify(link, &customer, stored, &tokens.access_token, actor)
            .await
    }

    /// A partner-created Wise user's tokens from its registration code, if the row brought one
    /// and the customer has not reclaimed the account.
    async fn regrant(&self, link: &LinkRow) -> Result<Option<UserTokens>, LinkError> {
        if link.origin != Some(LinkOrigin::Created) || link.registration_code.is_none() {
            return Ok(None);
        }
        let code = self.open_secret(link, SealedColumn::RegistrationCode)?;
        match self
            .wise
            .registration_code_grant(&link.signup_email, &code)
            .await
        {
            Ok(tokens) => Ok(Some(tokens)),
            Err(e) if e.is_invalid_grant() => Ok(None),
            Err(e) => Err(unavailable(&e)),
        }
    }

    /// Wise refused the refresh token (and any registration code): the customer must link again.
    async fn refused_refresh(
        &self,
        link: &LinkRow,
        resumed: bool,
        actor: &str,
    ) -> Result<LinkRow, LinkError> {
        let (event, reason) = if resumed {
            (
                LinkEvent::TokensLost,
                "Wise refused the imported refresh token after an interrupted proof, which may have spent it: the customer must link again",
            )
        } else {
            (
                LinkEvent::AccessRevoked,
                "Wise refused the imported refresh token: the customer must link again",
            )
        };
        let t = Transition::new(link, LinkState::Verifying, event, actor, reason).changes(
            LinkChanges {
                registration_code: Some(None),
                ..wiped()
            },
        );
        self.apply(t).await
    }
}
