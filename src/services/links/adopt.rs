//! Partner-created Wise users: a signup that created the user (at the start, or at a resend
//! after the email changed at Wise), or a repeated signup whose 409 hides the user our own lost
//! signup created. Such a link is active without an identity check: the partner supplied the
//! details Wise holds.

use super::{LinkError, LinkService, unavailable};
use crate::db::customers::CustomerRow;
use crate::db::links::{LinkChanges, LinkRow, Pin, Subject, Transition};
use crate::domain::{LinkEvent, LinkOrigin, LinkState, WiseUserId};
use crate::wise::{UserTokens, WiseError};
use secrecy::SecretString;

impl LinkService {
    /// Whether the Wise user behind a 409 is one our signup created with this registration code:
    /// then the registration-code grant gives its tokens; for anyone else's account Wise answers
    /// `invalid_grant`.
    pub(super) async fn created_by_us(
        &self,
        signup_email: &str,
        code: &SecretString,
    ) -> Result<Option<UserTokens>, WiseError> {
        match self.wise.registration_code_grant(signup_email, code).await {
            Ok(tokens) => Ok(Some(tokens)),
            Err(e) if e.is_invalid_grant() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Activates a link with a Wise user the partner created (our signup, our registration
    /// code): no identity check, since the partner supplied the details. Stores its tokens,
    /// pins the customer and queues the "linked" email, in one commit.
    pub(super) async fn adopt(
        &self,
        adopt: Adopt<'_>,
        signup_email: &str,
        user: NewUser,
    ) -> Result<LinkRow, LinkError> {
        let user_id = match user.id {
            Some(id) => id,
            None => WiseUserId::new(
                self.wise
                    .me(&user.tokens.access_token)
                    .await
                    .map_err(|e| unavailable(&e))?
                    .id,
            ),
        };
        let Adopt {
            link,
            from,
            customer,
            actor,
            changes,
        } = adopt;
        let link_id = &link.id;
        let mut changes = changes.then(self.token_changes(link_id, &user.tokens).into());
        changes.origin = Some(LinkOrigin::Created);
        changes.wise_user_id = Some(Some(user_id));
        changes.code_expires_at = Some(None);
        let (mail, dispute) = self.linked_mail(link_id, signup_email, customer, true)?;
        let changes = changes.then(dispute);
        let t = Transition::new(
            link.clone(),
            from,
            LinkEvent::WiseUserCreated,
            actor,
            "Wise created the user for the partner",
        )
        .changes(changes)
        .trace(user.trace_id.as_deref())
        .queue(Some(mail));
        let pin = Pin {
            customer_id: customer.id,
            wise_user_id: user_id,
        };
        self.commit(vec![t], Some(pin)).await
    }
}

/// The link a partner-created Wise user is adopted into.
pub(super) struct Adopt<'a> {
    pub link: Subject,
    pub from: LinkState,
    pub customer: &'a CustomerRow,
    pub actor: &'a str,
    /// Written with the adoption (a resend's new session).
    pub changes: LinkChanges,
}

impl<'a> Adopt<'a> {
    pub fn new(
        link: impl Into<Subject>,
        from: LinkState,
        customer: &'a CustomerRow,
        actor: &'a str,
    ) -> Self {
        Self {
            link: link.into(),
            from,
            customer,
            actor,
            changes: LinkChanges::default(),
        }
    }
}

/// A Wise user made with our registration code, and its tokens.
pub(super) struct NewUser {
    pub tokens: UserTokens,
    /// From the signup's answer; read from `/v1/me` when the signup's answer was lost.
    pub id: Option<WiseUserId>,
    pub trace_id: Option<String>,
}
