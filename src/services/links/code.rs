//! Taking the customer's code. It is sent to Wise at most once: the `exchanging` recovery point
//! is committed first, with the code's hash added to the link's spent codes (only one concurrent
//! submission can do that, and a code already there refuses it). A code Wise provably did not
//! process is taken back; every other code stays spent for the life of the link.

use super::secrets;
use super::{LinkError, LinkService, unavailable, wiped};
use crate::db::customers::{self, Customer, CustomerRow};
use crate::db::links::{self, CustomerLink, LinkChanges, LinkRow, Transition};
use crate::domain::{AuthorizationCode, LinkEvent, LinkState};
use chrono::Duration;
use secrecy::SecretString;

impl LinkService {
    /// Takes a code typed by the customer and returns the link as it ends up: `active`,
    /// `needs_review` or `rejected`.
    pub async fn submit_code(
        &self,
        link: LinkRow,
        code: AuthorizationCode,
        actor: &str,
    ) -> Result<CustomerLink, LinkError> {
        self.bounded(self.take_code(link, code, actor)).await
    }

    async fn take_code(
        &self,
        link: LinkRow,
        code: AuthorizationCode,
        actor: &str,
    ) -> Result<CustomerLink, LinkError> {
        let from = link.state;
        match from {
            LinkState::AwaitingCode | LinkState::AwaitingAuthorization => {}
            LinkState::Locked => return Err(LinkError::Locked),
            LinkState::Exchanging | LinkState::Verifying => return Err(LinkError::Busy),
            other => return Err(LinkError::WrongState(other)),
        }
        if link.code_expires_at.is_some_and(|t| t <= self.clock.now()) {
            let t = Transition::new(
                &link,
                from,
                LinkEvent::CodeWindowClosed,
                actor,
                "the code window closed",
            )
            .changes(wiped());
            self.apply(t).await?;
            return Err(LinkError::CodeExpired);
        }
        let spent = secrets::code_hash(code.expose());
        // Refused (code_already_used) if this code was ever sent to Wise for the link.
        let recovery_point = Transition::new(
            &link,
            from,
            LinkEvent::CodeSubmitted,
            actor,
            "code submitted; exchanging it with Wise",
        )
        .spends(spent.clone());
        let (customer, exchanging) = match self.limit_then_record(&link, recovery_point).await {
            Err(LinkError::WiseUserBusy) => {
                let link = Box::pin(self.signup_email_taken(&link, actor)).await?;
                let customer = self.customer_of(&link).await?;
                return Ok(CustomerLink {
                    link,
                    customer_ref: customer.customer_ref,
                });
            }
            recorded => recorded?,
        };

        let secret = SecretString::from(code.expose().to_owned());
        match self.wise.authorization_code_grant(&secret).await {
            Ok(tokens) => {
                let stored = Transition::new(
                    &link,
                    LinkState::Exchanging,
                    LinkEvent::TokensStored,
                    actor,
                    "code exchanged; tokens stored",
                )
                .changes(self.token_changes(&link.id, &tokens).into());
                let link = self
                    .verify(&exchanging, &customer, stored, &tokens.access_token, actor)
                    .await?;
                Ok(CustomerLink {
                    link,
                    customer_ref: customer.customer_ref,
                })
            }
            Err(e) if e.is_redirect_uri_refused() => {
                // wiselink's own settings are wrong: the customer's code is not to blame and no
                // attempt is counted. The code stays spent (Wise may not take it again).
                tracing::error!(link.id = %link.id, wise.trace_id = e.trace_id(), "Wise refused the exchange's redirect_uri: wise.redirect_uri is not the URL registered with Wise");
                let t = Transition::new(
                    &link,
                    LinkState::Exchanging,
                    LinkEvent::ExchangeLost,
                    actor,
                    "Wise refused wiselink's redirect_uri (a configuration error); no attempt counted",
                )
                .trace(e.trace_id());
                self.apply(t).await?;
                Err(LinkError::ExchangeLost)
            }
            Err(e) if e.is_invalid_grant() => {
                // Counted from the row this request moved to `exchanging`, which no one else
                // changes until it leaves that state.
                let left = (exchanging.attempts_remaining - 1).max(0);
                let (event, reason) = if left == 0 {
                    (LinkEvent::TooManyWrongCodes, "wrong code; no attempts left")
                } else {
                    (LinkEvent::CodeRefused, "Wise refused the code")
                };
                let t = Transition::new(&link, LinkState::Exchanging, event, actor, reason)
                    .changes(LinkChanges {
                        attempts_remaining: Some(left),
                        ..LinkChanges::default()
                    })
                    .trace(e.trace_id());
                self.apply(t).await?;
                Err(if left == 0 {
                    LinkError::Locked
                } else {
                    LinkError::InvalidCode {
                        attempts_remaining: left,
                    }
                })
            }
            Err(e) if e.proves_unprocessed() => {
                // Wise did not look at the code: it stays good and costs no attempt.
                let t = Transition::new(
                    &link,
                    LinkState::Exchanging,
                    LinkEvent::ExchangeDeferred,
                    actor,
                    "Wise did not process the exchange; the code may be entered again",
                )
                .gives_back(spent)
                .trace(e.trace_id());
                self.apply(t).await?;
                Err(unavailable(&e))
            }
            Err(e) => {
                // The outcome is unknown: Wise may have used the code up. Never send it again.
                let t = Transition::new(
                    &link,
                    LinkState::Exchanging,
                    LinkEvent::ExchangeLost,
                    actor,
                    "the exchange's outcome is unknown; a new code is needed",
                )
                .trace(e.trace_id());
                self.apply(t).await?;
                tracing::warn!(link.id = %link.id, error = %e, "code exchange lost");
                Err(LinkError::ExchangeLost)
            }
        }
    }

    /// Checks the customer's wrong-code limit and, if the code may be tried, commits the
    /// `exchanging` recovery point; returns the link's customer and the link as committed. The
    /// limit counts wrong codes in the last 24 hours over all the customer's links, so a new link
    /// or a resend does not reset it. One database round trip.
    async fn limit_then_record(
        &self,
        link: &LinkRow,
        recovery_point: Transition,
    ) -> Result<(CustomerRow, LinkRow), LinkError> {
        let window = Duration::hours(24);
        let limit = self.policy.wrong_codes_per_customer_per_day;
        let customer_id = link.customer_id;
        let now = self.clock.now();
        let audit = self.audit.clone();
        let outcome = self
            .db
            .run(move |conn| {
                let customer = match customers::find_by_id(conn, customer_id)?.map(Customer::live) {
                    Some(Ok(customer)) => customer,
                    Some(Err(erased)) => return Ok(Err(erased.into())),
                    None => return Ok(Err(LinkError::CustomerNotFound)),
                };
                let wrong = links::wrong_codes_since(conn, customer_id, now - window)?;
                if wrong.count >= limit {
                    let retry_after_secs = wrong
                        .earliest
                        .map_or(window.num_seconds(), |t| (t + window - now).num_seconds());
                    return Ok(Err(LinkError::CustomerLimited {
                        retry_after_secs: retry_after_secs.max(1),
                    }));
                }
                Ok(links::apply(conn, &recovery_point, &audit, now)?
                    .map(|row| (customer, row))
                    .map_err(LinkError::from))
            })
            .await?;
        if let Err(LinkError::CustomerLimited { .. }) = &outcome {
            tracing::warn!(link.id = %link.id, customer.id = %customer_id, "customer wrong-code limit reached");
        }
        outcome
    }
}
