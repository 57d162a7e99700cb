//! The emails a link sends, prepared for the outbox so they are queued with the transition that
//! causes them.

use super::{LinkError, LinkService, SessionToken};
use crate::db::customers::CustomerRow;
use crate::db::links::LinkChanges;
use crate::db::outbox::{MessageKind, NewMessage};
use crate::domain::LinkId;
use crate::i18n::{Locale, Words};
use crate::mail;
use crate::services::outbox;
use chrono::NaiveDateTime;

/// How long the "this wasn't me" link in a "linked" email works.
pub const DISPUTE_WINDOW: chrono::Duration = chrono::Duration::days(30);
use secrecy::{ExposeSecret, SecretString};

impl LinkService {
    /// The customer's code-entry page, which the session token opens.
    fn code_entry_url(&self, session: &SessionToken) -> SecretString {
        SecretString::from(format!(
            "{}/link/{}",
            self.public_url.trim_end_matches('/'),
            session.token.expose_secret()
        ))
    }

    /// "Finish linking": sent after Wise's 409, to the address Wise emailed the code to.
    pub(super) fn finish_linking_mail(
        &self,
        link_id: &LinkId,
        customer: &CustomerRow,
        session: &SessionToken,
        code_expires_at: NaiveDateTime,
    ) -> Result<NewMessage, LinkError> {
        let rendered = mail::finish_linking(
            &self.words_for(customer),
            &customer.first_name,
            &self.code_entry_url(session),
            code_expires_at,
        )
        .map_err(anyhow::Error::from)?;
        self.prepare(
            link_id,
            MessageKind::FinishLinking,
            &customer.email,
            &rendered,
        )
    }

    /// The one reminder of a linking attempt, queued with the start (a re-link is a new start)
    /// and kept back until `links.reminder_after_minutes` have passed: released by the transition
    /// that sends it (`LinkEvent::ReminderSent`) only if the link still waits for the code.
    /// `None` when reminders are off.
    pub(super) fn reminder_mail(
        &self,
        link_id: &LinkId,
        customer: &CustomerRow,
        session: &SessionToken,
    ) -> Result<Option<NewMessage>, LinkError> {
        let Some(after) = self.policy.reminder_after else {
            return Ok(None);
        };
        let rendered = mail::reminder(
            &self.words_for(customer),
            &customer.first_name,
            &self.code_entry_url(session),
        )
        .map_err(anyhow::Error::from)?;
        let mut message =
            self.prepare(link_id, MessageKind::Reminder, &customer.email, &rendered)?;
        message.scheduled_for = Some(self.clock.now() + after);
        Ok(Some(message))
    }

    /// "Your Wise account is linked": sent when the link becomes active, with a one-time "this
    /// wasn't me" link. The changes keep that link's token (its hash) and expiry with the link.
    pub(super) fn linked_mail(
        &self,
        link_id: &LinkId,
        signup_email: &str,
        customer: &CustomerRow,
        created: bool,
    ) -> Result<(NewMessage, LinkChanges), LinkError> {
        let dispute = SessionToken::generate_dispute();
        let dispute_url = SecretString::from(format!(
            "{}/dispute/{}",
            self.public_url.trim_end_matches('/'),
            dispute.token.expose_secret()
        ));
        let rendered = mail::linked(
            &self.words_for(customer),
            &customer.first_name,
            signup_email,
            created,
            &dispute_url,
        )
        .map_err(anyhow::Error::from)?;
        let message = self.prepare(link_id, MessageKind::Linked, signup_email, &rendered)?;
        let changes = LinkChanges {
            dispute_token_hash: Some(Some(dispute.hash)),
            dispute_expires_at: Some(Some(self.clock.now() + DISPUTE_WINDOW)),
            ..LinkChanges::default()
        };
        Ok((message, changes))
    }

    /// "We could not link your Wise account": sent when staff reject the link.
    pub(super) fn not_linked_mail(
        &self,
        link_id: &LinkId,
        signup_email: &str,
        customer: &CustomerRow,
    ) -> Result<NewMessage, LinkError> {
        let rendered = mail::not_linked(&self.words_for(customer), &customer.first_name)
            .map_err(anyhow::Error::from)?;
        self.prepare(link_id, MessageKind::NotLinked, signup_email, &rendered)
    }

    /// "Reconnect your Wise account": sent when Wise refused the link's tokens for good.
    pub(super) fn reconnect_mail(
        &self,
        link_id: &LinkId,
        customer: &CustomerRow,
    ) -> Result<NewMessage, LinkError> {
        let rendered = mail::reconnect(&self.words_for(customer), &customer.first_name)
            .map_err(anyhow::Error::from)?;
        self.prepare(link_id, MessageKind::Reconnect, &customer.email, &rendered)
    }

    /// The customer's language and the partner's brand.
    fn words_for(&self, customer: &CustomerRow) -> Words {
        Words::new(Locale::for_language(&customer.language), self.brand.clone())
    }

    fn prepare(
        &self,
        link_id: &LinkId,
        kind: MessageKind,
        to: &str,
        rendered: &mail::Rendered,
    ) -> Result<NewMessage, LinkError> {
        Ok(outbox::prepare(
            &self.keys,
            &self.mail_from,
            Some(link_id.as_str()),
            kind,
            to,
            rendered,
        )?)
    }
}
