//! Asking Wise to email the customer a new code.

use super::secrets::SessionToken;
use super::start::{is_refusal, wise_fields};
use super::{LinkError, LinkService, unavailable};
use crate::db::links::{LinkChanges, LinkRow, SealedColumn, Transition};
use crate::domain::{LinkEvent, LinkState, ResendDecision, resend_decision};
use crate::wise::CreateUserOutcome;

/// A link after a resend, with a new session token when the old one had ended (shown once).
pub struct Resent {
    pub link: LinkRow,
    pub session_token: Option<SessionToken>,
}

impl LinkService {
    /// Asks Wise to email the customer a new code (by running the signup again), and gives the
    /// link a fresh code window and its attempts back. A code already sent to Wise stays refused.
    pub async fn resend(&self, link: LinkRow, actor: &str) -> Result<Resent, LinkError> {
        let from = link.state;
        match from {
            LinkState::AwaitingCode | LinkState::Expired => {}
            LinkState::Locked => return Err(LinkError::Locked),
            other => return Err(LinkError::WrongState(other)),
        }
        let now = self.clock.now();
        let (window_start, count) = match resend_decision(
            &self.policy.resend,
            now,
            link.last_email_at(),
            link.resend_window_start,
            link.resends_in_window,
        ) {
            ResendDecision::Allowed {
                window_start,
                resends_in_window,
            } => (window_start, resends_in_window),
            ResendDecision::TooSoon { retry_after_secs } => {
                return Err(LinkError::ResendTooSoon { retry_after_secs });
            }
            ResendDecision::LimitReached { retry_after_secs } => {
                return Err(LinkError::ResendLimitReached { retry_after_secs });
            }
        };
        let customer = self.customer_of(&link).await?;
        let code = self.open_secret(&link, SealedColumn::RegistrationCode)?;
        let trace_id = match self
            .wise
            .create_user(&link.signup_email, &code, &customer.language, true)
            .await
        {
            Ok(CreateUserOutcome::AlreadyExists { trace_id }) => trace_id,
            Ok(CreateUserOutcome::Created(_)) => return Err(LinkError::WiseAccountGone),
            Err(e) if is_refusal(&e) => {
                return Err(LinkError::WiseRefused {
                    fields: wise_fields(&e),
                });
            }
            Err(e) => return Err(unavailable(&e)),
        };
        // An expired link lost its session; the app gets a new one with this answer.
        let session = link
            .session_token_hash
            .is_none()
            .then(SessionToken::generate);
        let changes = LinkChanges {
            attempts_remaining: Some(self.policy.max_attempts),
            code_expires_at: Some(Some(now + self.policy.code_window)),
            last_resend_at: Some(Some(now)),
            resend_window_start: Some(Some(window_start)),
            resends_in_window: Some(count),
            session_token_hash: session.as_ref().map(|s| Some(s.hash.clone())),
            ..LinkChanges::default()
        };
        let t = Transition::new(
            &link.id,
            from,
            LinkEvent::CodeResent,
            actor,
            "Wise asked to email a new code",
        )
        .changes(changes)
        .trace(trace_id.as_deref());
        Ok(Resent {
            link: self.apply(t).await?,
            session_token: session,
        })
    }
}
