//! Asking Wise to email the customer a new code. The resend's slot (its time and the daily count)
//! is claimed with a compare-and-set before Wise is called, so however many resends race, at most
//! one reaches Wise per interval and the count stays exact.

use super::adopt::{Adopt, NewUser};
use super::secrets::SessionToken;
use super::start::{is_refusal, wise_fields};
use super::{LinkError, LinkService, unavailable};
use crate::db::links::{self, LinkChanges, LinkRow, OwnChanges, SealedColumn, Transition};
use crate::domain::{LinkEvent, LinkState, ResendDecision, WiseUserId, resend_decision};
use crate::wise::CreateUserOutcome;

/// Why Wise is asked to email a new code.
pub(super) enum Ask {
    /// The customer (or the partner) asked.
    Resend,
    /// Staff unlocked a locked link, for `reason`.
    Unlock { reason: String },
}

/// A link after a resend, with a new session token when the old one had ended (shown once).
pub struct Resent {
    pub link: LinkRow,
    pub session_token: Option<SessionToken>,
}

impl LinkService {
    /// Asks Wise to email the customer a new code (by running the signup again), and gives the
    /// link a fresh code window and its attempts back. A code already sent to Wise stays refused.
    ///
    /// The signup may also show that the Wise user behind the email is one our registration code
    /// made — the email changed at Wise, so Wise created a new user, or an earlier answer was
    /// lost: then that user is linked as partner-created.
    pub async fn resend(&self, link: LinkRow, actor: &str) -> Result<Resent, LinkError> {
        self.bounded(self.ask_wise_again(link, actor, Ask::Resend))
            .await
    }

    /// Runs the signup again: for a resend (rate-limited by the link's slots), or for staff
    /// unlocking a locked link (not rate-limited; the customer gets a new code-entry link).
    pub(super) async fn ask_wise_again(
        &self,
        link: LinkRow,
        actor: &str,
        ask: Ask,
    ) -> Result<Resent, LinkError> {
        let from = link.state;
        match (&ask, from) {
            (Ask::Resend, LinkState::AwaitingCode | LinkState::Expired) => {}
            (Ask::Resend, LinkState::Locked) => return Err(LinkError::Locked),
            (Ask::Unlock { .. }, LinkState::Locked) => {}
            (_, other) => return Err(LinkError::WrongState(other)),
        }
        let customer = self.customer_of(&link).await?;
        let code = self.open_secret(&link, SealedColumn::RegistrationCode)?;
        let claimed = match ask {
            Ask::Resend => Some(self.claim_slot(&link).await?),
            Ask::Unlock { .. } => None,
        };

        let outcome = self
            .wise
            .create_user(&link.signup_email, &code, &customer.language, true)
            .await;
        // An expired link lost its session; the app gets a new one with this answer. An unlocked
        // link always gets a new one, emailed to the customer.
        let session = (link.session_token_hash.is_none() || matches!(ask, Ask::Unlock { .. }))
            .then(SessionToken::generate);
        let new_session = LinkChanges {
            session_token_hash: session.as_ref().map(|s| Some(s.hash.clone())),
            ..LinkChanges::default()
        };
        let user = match outcome {
            Ok(CreateUserOutcome::AlreadyExists { trace_id }) => {
                match self.created_by_us(&link.signup_email, &code).await {
                    Ok(Some(tokens)) => NewUser {
                        tokens,
                        id: None,
                        trace_id,
                    },
                    // Someone else's account: Wise emailed it a code. Should the check itself
                    // fail, that email went out all the same.
                    outcome => {
                        if let Err(e) = outcome {
                            tracing::warn!(link.id = %link.id, error = %e, "could not check whose account a resend reached");
                        }
                        let now = self.clock.now();
                        let expires_at = now + self.policy.code_window;
                        let changes = LinkChanges {
                            attempts_remaining: Some(self.policy.max_attempts),
                            code_expires_at: Some(Some(expires_at)),
                            ..new_session
                        };
                        let (event, reason, mail) = match &ask {
                            Ask::Resend => (
                                LinkEvent::CodeResent,
                                "Wise asked to email a new code",
                                None,
                            ),
                            Ask::Unlock { reason } => (
                                LinkEvent::StaffUnlocked,
                                reason.as_str(),
                                session
                                    .as_ref()
                                    .map(|s| {
                                        self.finish_linking_mail(&link.id, &customer, s, expires_at)
                                    })
                                    .transpose()?,
                            ),
                        };
                        let t = Transition::new(&link, from, event, actor, reason)
                            .changes(changes)
                            .trace(trace_id.as_deref())
                            .queue(mail);
                        return Ok(Resent {
                            link: self.apply(t).await?,
                            session_token: session,
                        });
                    }
                }
            }
            Ok(CreateUserOutcome::Created(created)) => {
                tracing::info!(link.id = %link.id, "a resend made Wise create a user: the email changed at Wise");
                let tokens = self
                    .wise
                    .registration_code_grant(&link.signup_email, &code)
                    .await
                    .map_err(|e| unavailable(&e))?;
                NewUser {
                    tokens,
                    id: Some(WiseUserId::new(created.id)),
                    trace_id: created.trace_id,
                }
            }
            Err(e) => {
                // Wise refused, or provably did nothing: no email went out, the slot is given back.
                if let Some(claimed) = &claimed
                    && (is_refusal(&e) || e.proves_unprocessed())
                {
                    self.release_slot(&link, claimed).await;
                }
                if is_refusal(&e) {
                    return Err(LinkError::WiseRefused {
                        fields: wise_fields(&e),
                    });
                }
                return Err(unavailable(&e));
            }
        };
        let adopt = Adopt {
            changes: new_session,
            ..Adopt::new(&link, from, &customer, actor)
        };
        Ok(Resent {
            link: self.adopt(adopt, &link.signup_email, user).await?,
            session_token: session,
        })
    }

    /// Takes the link's next resend slot, or says when one opens. The compare-and-set on the row
    /// as read makes concurrent resends of one link take turns: the losers read it again and
    /// are told to wait.
    async fn claim_slot(&self, link: &LinkRow) -> Result<LinkRow, LinkError> {
        let now = self.clock.now();
        let slot = self.slot(link, now)?;
        let read = link.clone();
        if let Some(claimed) = self
            .db
            .run(move |conn| links::claim(conn, &read, &slot, now))
            .await?
        {
            return Ok(claimed);
        }
        let fresh = self.reload(&link.id).await?;
        self.slot(&fresh, now)?;
        Err(LinkError::Busy)
    }

    /// The slot changes a resend now would write, or why it may not happen.
    fn slot(&self, link: &LinkRow, now: chrono::NaiveDateTime) -> Result<OwnChanges, LinkError> {
        match resend_decision(
            &self.policy.resend,
            now,
            link.last_email_at(),
            link.resend_window_start,
            link.resends_in_window,
        ) {
            ResendDecision::Allowed {
                window_start,
                resends_in_window,
            } => Ok(OwnChanges {
                last_resend_at: Some(Some(now)),
                resend_window_start: Some(Some(window_start)),
                resends_in_window: Some(resends_in_window),
                ..OwnChanges::default()
            }),
            ResendDecision::TooSoon { retry_after_secs } => {
                Err(LinkError::ResendTooSoon { retry_after_secs })
            }
            ResendDecision::LimitReached { retry_after_secs } => {
                Err(LinkError::ResendLimitReached { retry_after_secs })
            }
        }
    }

    /// Gives a claimed slot back (Wise sent no email), if nothing changed the link since.
    async fn release_slot(&self, before: &LinkRow, claimed: &LinkRow) {
        let restore = OwnChanges {
            last_resend_at: Some(before.last_resend_at),
            resend_window_start: Some(before.resend_window_start),
            resends_in_window: Some(before.resends_in_window),
            ..OwnChanges::default()
        };
        let (claimed, now) = (claimed.clone(), self.clock.now());
        if let Err(e) = self
            .db
            .run(move |conn| links::claim(conn, &claimed, &restore, now))
            .await
        {
            tracing::warn!(error = %e, "could not give a resend slot back");
        }
    }
}
