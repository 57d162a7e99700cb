//! Starting a link: a pending row first (the recovery point), then Wise's signup. A 409 means
//! Wise emailed the customer a code; a new user means the partner created the Wise account.

use super::adopt::{Adopt, NewUser};
use super::redirect::Redirect;
use super::secrets::{self, SessionToken};
use super::{LinkError, LinkService, WiseFieldError, unavailable};
use crate::db::customers::{self, Customer, CustomerRow};
use crate::db::links::{
    self, CustomerLink, LinkChanges, LinkRow, NewLink, OwnChanges, Refused, SealedColumn, Subject,
    Transition,
};
use crate::domain::{CustomerRef, LinkEvent, LinkFlow, LinkId, LinkOrigin, LinkState, WiseUserId};
use crate::wise::{CreateUserOutcome, ErrorBody, WiseError};
use secrecy::SecretString;

/// A link just started, with the session token the app may hold (shown once) and, in the
/// redirect flow, where to send the customer.
pub struct Started {
    pub link: CustomerLink,
    pub session_token: Option<SessionToken>,
    pub redirect: Option<Redirect>,
}

/// How the customer gives Wise their consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// Wise emails a code, typed into the app or wiselink's page.
    EmailCode,
    /// Wise's authorization page in the customer's browser, returning to `return_url` (an
    /// allowed `links.return_urls` entry) or wiselink's result page.
    Redirect { return_url: Option<String> },
}

impl Flow {
    fn link_flow(&self) -> LinkFlow {
        match self {
            Self::EmailCode => LinkFlow::EmailCode,
            Self::Redirect { .. } => LinkFlow::Redirect,
        }
    }
}

impl LinkService {
    /// Starts linking a customer with `flow`. A customer whose last start never heard back from
    /// Wise (its link is still `pending`, e.g. the partner retries after a 503) has that link
    /// resumed instead, and the answer is the one the first start would have given.
    pub async fn start(
        &self,
        customer_ref: CustomerRef,
        flow: Flow,
        actor: &str,
    ) -> Result<Started, LinkError> {
        self.bounded(self.start_link(customer_ref, flow, actor))
            .await
    }

    async fn start_link(
        &self,
        customer_ref: CustomerRef,
        flow: Flow,
        actor: &str,
    ) -> Result<Started, LinkError> {
        let return_url = match &flow {
            Flow::Redirect { return_url } => return_url.clone(),
            Flow::EmailCode => None,
        };
        let link_flow = flow.link_flow();
        let link_id = LinkId::generate();
        let code = secrets::registration_code();
        let sealed_code = self.seal(&link_id, SealedColumn::RegistrationCode, &code);
        let (id, actor_owned) = (link_id.clone(), actor.to_owned());
        let (now, attempts) = (self.clock.now(), self.policy.max_attempts);
        let audit = self.audit.clone();
        // One round trip: find the customer, then insert the pending link for them (or claim
        // the pending one they have).
        let begun = self
            .db
            .run(move |conn| {
                let customer = match customers::find(conn, &customer_ref)?.map(Customer::live) {
                    Some(Ok(customer)) => customer,
                    Some(Err(erased)) => return Ok(Err(erased.into())),
                    None => return Ok(Err(LinkError::CustomerNotFound)),
                };
                let link = NewLink {
                    id: &id,
                    customer_id: customer.id,
                    flow: link_flow,
                    signup_email: &customer.email,
                    registration_code: Some(&sealed_code),
                    return_url: return_url.as_deref(),
                    attempts_remaining: attempts,
                    created_at: now,
                    updated_at: now,
                };
                match links::insert(conn, &link, &actor_owned, &audit)? {
                    Ok(()) => Ok(Ok(Begun {
                        customer,
                        resumed: None,
                    })),
                    Err(Refused::LinkExists) => Ok(links::live_of_customer(conn, customer.id)?
                        .filter(|live| live.state == LinkState::Pending)
                        .map(|live| links::claim(conn, &live, &OwnChanges::default(), now))
                        .transpose()?
                        .flatten()
                        .map(|claimed| Begun {
                            customer,
                            resumed: Some(claimed),
                        })
                        .ok_or(LinkError::LinkExists)),
                    Err(other) => Ok(Err(other.into())),
                }
            })
            .await??;
        let Begun { customer, resumed } = begun;
        match resumed {
            None => {
                tracing::info!(link.id = %link_id, customer.id = %customer.id, "link started");
                self.signup(
                    Subject::new(&link_id, link_flow),
                    &customer,
                    &code,
                    actor,
                    Signup::First,
                )
                .await
            }
            Some(pending) => {
                tracing::info!(link.id = %pending.id, customer.id = %customer.id, "pending link resumed");
                let code = self.open_secret(&pending, SealedColumn::RegistrationCode)?;
                self.signup((&pending).into(), &customer, &code, actor, Signup::Repeat)
                    .await
            }
        }
    }

    /// Asks Wise to create the user (emailing a code if the email has an account) and moves the
    /// pending link on. After an earlier signup of this link that may have reached Wise
    /// ([`Signup::Repeat`]: recovery, a retried start) the lost answer may have been a new user
    /// made with our registration code, which a 409 now hides — the registration-code grant tells
    /// them apart. In the redirect flow Wise sends no email: a 409 hands out the authorization
    /// URL instead.
    pub(super) async fn signup(
        &self,
        link: Subject,
        customer: &CustomerRow,
        code: &SecretString,
        actor: &str,
        attempt: Signup,
    ) -> Result<Started, LinkError> {
        let link_id = &link.id;
        let redirect = link.flow == LinkFlow::Redirect;
        let outcome = self
            .wise
            .create_user(&customer.email, code, &customer.language, !redirect)
            .await;
        let started = |link, session_token| Started {
            link: CustomerLink {
                link,
                customer_ref: customer.customer_ref.clone(),
            },
            session_token,
            redirect: None,
        };
        let outcome = match outcome {
            Ok(CreateUserOutcome::AlreadyExists { trace_id }) if attempt == Signup::Repeat => {
                match self.created_by_us(&customer.email, code).await {
                    Ok(Some(tokens)) => {
                        let user = NewUser {
                            tokens,
                            id: None,
                            trace_id,
                        };
                        let adopt = Adopt::new(link.clone(), LinkState::Pending, customer, actor);
                        return Ok(started(
                            self.adopt(adopt, &customer.email, user).await?,
                            None,
                        ));
                    }
                    Ok(None) => Ok(CreateUserOutcome::AlreadyExists { trace_id }),
                    Err(e) => return Err(unavailable(&e)),
                }
            }
            other => other,
        };
        match outcome {
            Ok(CreateUserOutcome::AlreadyExists { trace_id }) if redirect => {
                let session = SessionToken::generate();
                let trip = self.issue_state(link_id, None).await?;
                let changes = LinkChanges {
                    origin: Some(LinkOrigin::Linked),
                    code_expires_at: Some(Some(self.clock.now() + self.policy.code_window)),
                    session_token_hash: Some(Some(session.hash.clone())),
                    ..LinkChanges::default()
                };
                let t = Transition::new(
                    link.clone(),
                    LinkState::Pending,
                    LinkEvent::RedirectIssued,
                    actor,
                    "the email has a Wise account; the customer goes to Wise's page",
                )
                .changes(changes)
                .trace(trace_id.as_deref());
                let mut answer = started(self.apply(t).await?, Some(session));
                answer.redirect = Some(trip);
                Ok(answer)
            }
            Ok(CreateUserOutcome::AlreadyExists { trace_id }) => {
                let session = SessionToken::generate();
                let expires = self.clock.now() + self.policy.code_window;
                let mail = self.finish_linking_mail(link_id, customer, &session, expires)?;
                let reminder = self.reminder_mail(link_id, customer, &session)?;
                let changes = LinkChanges {
                    origin: Some(LinkOrigin::Linked),
                    code_expires_at: Some(Some(expires)),
                    session_token_hash: Some(Some(session.hash.clone())),
                    ..LinkChanges::default()
                };
                let t = Transition::new(
                    link.clone(),
                    LinkState::Pending,
                    LinkEvent::WiseUserExists,
                    actor,
                    "the email has a Wise account; Wise emailed a code",
                )
                .changes(changes)
                .trace(trace_id.as_deref())
                .queue(Some(mail))
                .queue(reminder);
                Ok(started(self.apply(t).await?, Some(session)))
            }
            Ok(CreateUserOutcome::Created(created)) => {
                let tokens = self
                    .wise
                    .registration_code_grant(&customer.email, code)
                    .await
                    .map_err(|e| unavailable(&e))?;
                let user = NewUser {
                    tokens,
                    id: Some(WiseUserId::new(created.id)),
                    trace_id: created.trace_id,
                };
                let adopt = Adopt::new(link.clone(), LinkState::Pending, customer, actor);
                Ok(started(
                    self.adopt(adopt, &customer.email, user).await?,
                    None,
                ))
            }
            Err(e) if is_refusal(&e) => {
                let fields = wise_fields(&e);
                let names: Vec<&str> = fields.iter().map(|f| f.code.as_str()).collect();
                let reason = format!("Wise refused the signup ({})", names.join(", "));
                let t = Transition::new(
                    link.clone(),
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

/// What a start found: the customer, and their pending link if it was claimed instead of a new
/// link inserted.
struct Begun {
    customer: CustomerRow,
    resumed: Option<LinkRow>,
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

/// Whether a signup of this link may already have reached Wise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Signup {
    /// The link's first signup.
    First,
    /// An earlier signup's answer was lost (a retried start, recovery): Wise may have acted.
    Repeat,
}
