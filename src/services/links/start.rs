//! Starting a link: a pending row first (the recovery point), then Wise's signup. A 409 means
//! Wise emailed the customer a code; a new user means the partner created the Wise account.

use super::secrets::{self, SessionToken};
use super::{LinkError, LinkService, WiseFieldError, unavailable};
use crate::db::customers::{self, CustomerRow};
use crate::db::links::{CustomerLink, LinkChanges, NewLink, Pin, SealedColumn, Transition};
use crate::domain::{CustomerRef, LinkEvent, LinkId, LinkState, WiseUserId};
use crate::wise::{CreateUserOutcome, ErrorBody, WiseError};
use secrecy::SecretString;

/// A link just started, with the session token the app may hold (shown once).
pub struct Started {
    pub link: CustomerLink,
    pub session_token: Option<SessionToken>,
}

impl LinkService {
    /// Starts the email-code flow for a customer.
    pub async fn start(
        &self,
        customer_ref: CustomerRef,
        actor: &str,
    ) -> Result<Started, LinkError> {
        let link_id = LinkId::generate();
        let code = secrets::registration_code();
        let sealed_code = self.seal(&link_id, SealedColumn::RegistrationCode, &code);
        let (id, actor_owned) = (link_id.clone(), actor.to_owned());
        let (now, attempts) = (self.clock.now(), self.policy.max_attempts);
        // One round trip: find the customer, then insert the pending link for them.
        let customer = self
            .db
            .run(move |conn| {
                let Some(customer) = customers::find(conn, &customer_ref)? else {
                    return Ok(Err(LinkError::CustomerNotFound));
                };
                let link = NewLink {
                    id: &id,
                    customer_id: customer.id,
                    flow: "email_code",
                    signup_email: &customer.email,
                    registration_code: Some(&sealed_code),
                    attempts_remaining: attempts,
                    created_at: now,
                    updated_at: now,
                };
                Ok(crate::db::links::insert(conn, &link, &actor_owned)?
                    .map(|()| customer)
                    .map_err(LinkError::from))
            })
            .await??;
        tracing::info!(link.id = %link_id, customer.id = %customer.id, "link started");
        self.signup(&link_id, &customer, &code, actor).await
    }

    /// Asks Wise to create the user (emailing a code if the email has an account) and moves the
    /// pending link on. Used when a link starts and when the recovery worker resumes one.
    pub(super) async fn signup(
        &self,
        link_id: &LinkId,
        customer: &CustomerRow,
        code: &SecretString,
        actor: &str,
    ) -> Result<Started, LinkError> {
        let outcome = self
            .wise
            .create_user(&customer.email, code, &customer.language, true)
            .await;
        let started = |link, session_token| Started {
            link: CustomerLink {
                link,
                customer_ref: customer.customer_ref.clone(),
            },
            session_token,
        };
        match outcome {
            Ok(CreateUserOutcome::AlreadyExists { trace_id }) => {
                let session = SessionToken::generate();
                let expires = self.clock.now() + self.policy.code_window;
                let mail = self.finish_linking_mail(link_id, customer, &session, expires)?;
                let changes = LinkChanges {
                    origin: Some("linked".into()),
                    code_expires_at: Some(Some(expires)),
                    session_token_hash: Some(Some(session.hash.clone())),
                    ..LinkChanges::default()
                };
                let t = Transition::new(
                    link_id,
                    LinkState::Pending,
                    LinkEvent::WiseUserExists,
                    actor,
                    "the email has a Wise account; Wise emailed a code",
                )
                .changes(changes)
                .trace(trace_id.as_deref())
                .queue(Some(mail));
                Ok(started(self.apply(t).await?, Some(session)))
            }
            Ok(CreateUserOutcome::Created(user)) => {
                let user_id = WiseUserId::new(user.id);
                let tokens = self
                    .wise
                    .registration_code_grant(&customer.email, code)
                    .await
                    .map_err(|e| unavailable(&e))?;
                let mut changes = self.token_changes(link_id, &tokens);
                changes.origin = Some("created".into());
                changes.wise_user_id = Some(Some(user_id));
                let mail = self.linked_mail(link_id, &customer.email, customer, true)?;
                let t = Transition::new(
                    link_id,
                    LinkState::Pending,
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
                Ok(started(self.commit(vec![t], Some(pin)).await?, None))
            }
            Err(e) if is_refusal(&e) => {
                let fields = wise_fields(&e);
                let names: Vec<&str> = fields.iter().map(|f| f.code.as_str()).collect();
                let reason = format!("Wise refused the signup ({})", names.join(", "));
                let t = Transition::new(
                    link_id,
                    LinkState::Pending,
                    LinkEvent::SignupRefused,
                    actor,
                    &reason,
                )
                .trace(e.trace_id());
                self.apply(t).await?;
                Err(LinkError::WiseRefused { fields })
            }
            // The link stays pending; the recovery worker resumes it.
            Err(e) => Err(unavailable(&e)),
        }
    }
}

/// Wise refused the details themselves (not a passing failure).
pub(super) fn is_refusal(e: &WiseError) -> bool {
    matches!(e.status(), Some(400 | 422))
}

/// Wise's `errors[]`, with Wise's field names mapped to ours.
pub(super) fn wise_fields(e: &WiseError) -> Vec<WiseFieldError> {
    match e.api().map(|a| &a.body) {
        Some(ErrorBody::Errors(items)) => items
            .iter()
            .map(|i| WiseFieldError {
                field: match i.path.as_deref() {
                    Some("email") => "email",
                    Some("language") => "language",
                    _ => "customer",
                },
                code: i.code.clone(),
                message: i.message.clone().unwrap_or_default(),
            })
            .collect(),
        _ => vec![WiseFieldError {
            field: "customer",
            code: "refused".into(),
            message: "Wise refused the customer's details".into(),
        }],
    }
}
