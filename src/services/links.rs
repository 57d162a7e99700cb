//! The linking flow, one file per use case:
//!
//! - `start`: start a link (Wise signup; a 409 means Wise emailed the customer a code);
//! - `code`: take the customer's code and exchange it with Wise exactly once;
//! - `adopt`: activate a link with a Wise user the partner created;
//! - `claim`: let that user claim the account through Wise's page;
//! - `verify`: read the Wise identity behind new tokens and decide active / review / rejected;
//! - `access_token`: hand the partner a fresh access token, refreshing it first if needed;
//! - `refresh`: renew a link's tokens under its refresh lease (the refresher and `access_token`);
//! - `redirect`: the redirect flow's one-time states, the callback and the native-app return;
//! - `relink`: start a link that needs re-linking (or was unlinked) again, in place;
//! - `resend`: ask Wise to email a new code;
//! - `recover`: finish links a crash or an outage left mid-way;
//! - `queries`: reads, the session rule, unlink.
//!
//! [`LinkService`] holds exactly what these need. It knows nothing of HTTP: its errors
//! ([`LinkError`]) become responses in `routes/link_errors.rs`.

mod access_token;
mod adopt;
mod claim;
mod code;
mod dispute;
mod emails;
mod erase;
mod error;
mod import;
mod one_user;
mod queries;
mod recover;
mod redirect;
mod refresh;
mod refresh_failed;
mod relink;
mod remind;
mod resend;
mod review;
mod secrets;
mod start;
mod test_triggers;
mod verify;
mod wise_events;

pub use access_token::AccessToken;
pub use dispute::{DisputeStatus, DisputeTarget};
pub use erase::PARTNER_ERASURE;
pub use error::{LinkError, WiseFieldError};
pub use import::{ImportRow, Imported};
pub use redirect::{Authorized, BrowserTrip, Redirect, Returned, STATE_TTL_MINUTES, StateRefused};
pub use refresh::{CLAIM_SECS, Renewal};
pub use remind::Reminders;
pub use resend::Resent;
pub use review::{Approval, Decision};
pub use secrets::{SESSION_PREFIX, SessionToken, session_hash};
pub use start::{Flow, Started};

use crate::audit::SigningKeys;
use crate::brand::Brand;
use crate::clock::SharedClock;
use crate::crypto::{Aad, KeyRing};
use crate::db::Db;
use crate::db::customers::{self, Customer, CustomerRow};
use crate::db::links::{self, LinkChanges, LinkRow, Pin, SealedColumn, TokenChanges, Transition};
use crate::domain::{LinkEvent, LinkId, LinkPolicy, TokenPolicy};
use crate::wise::{UserTokens, WiseClient, WiseError};
use lettre::message::Mailbox;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use tokio::sync::Notify;

/// What the link service is built from.
pub struct LinkDeps {
    pub db: Db,
    pub wise: Arc<WiseClient>,
    pub keys: Arc<KeyRing>,
    /// Seals each event row the links write.
    pub audit: Arc<SigningKeys>,
    /// The sender of wiselink's emails.
    pub mail_from: Mailbox,
    /// Where customers reach wiselink (the code-entry page's links in emails).
    pub public_url: String,
    /// Woken when a transition queues mail, so the relay sends it at once.
    pub outbox_wake: Arc<Notify>,
    /// Woken when a transition publishes an event to the partner, so it is delivered at once.
    pub events_wake: Arc<Notify>,
    pub policy: LinkPolicy,
    pub tokens: TokenPolicy,
    pub clock: SharedClock,
    /// The partner's name and contacts, on every email.
    pub brand: Arc<Brand>,
}

pub struct LinkService {
    db: Db,
    wise: Arc<WiseClient>,
    keys: Arc<KeyRing>,
    audit: Arc<SigningKeys>,
    mail_from: Mailbox,
    public_url: String,
    outbox_wake: Arc<Notify>,
    events_wake: Arc<Notify>,
    policy: LinkPolicy,
    tokens: TokenPolicy,
    clock: SharedClock,
    brand: Arc<Brand>,
    /// One access-token caller per link at a time in this process goes to the database for the
    /// refresh lease; the others wait for it and then read what it stored.
    turns: access_token::Turns,
}

impl LinkService {
    pub fn new(deps: LinkDeps) -> Self {
        Self {
            db: deps.db,
            wise: deps.wise,
            keys: deps.keys,
            audit: deps.audit,
            mail_from: deps.mail_from,
            public_url: deps.public_url,
            outbox_wake: deps.outbox_wake,
            events_wake: deps.events_wake,
            policy: deps.policy,
            tokens: deps.tokens,
            clock: deps.clock,
            brand: deps.brand,
            turns: access_token::Turns::default(),
        }
    }

    pub fn policy(&self) -> &LinkPolicy {
        &self.policy
    }

    pub fn token_policy(&self) -> &TokenPolicy {
        &self.tokens
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The partner's brand, as customers see it.
    pub fn brand(&self) -> &Arc<Brand> {
        &self.brand
    }

    /// Runs one link step within the policy's Wise budget: every Wise call it makes fits in
    /// `wise_budget`, which is shorter than the recovery lease. The step lives on the heap: a
    /// whole step (exchange, verification, hand-over, every Wise call's retries and budget wait)
    /// is a large future, too large for a worker thread's stack in unoptimised builds.
    async fn bounded<T>(&self, step: impl std::future::Future<Output = T>) -> T {
        let wise_budget = self.policy.wise_budget.to_std().unwrap_or_default();
        crate::wise::deadline::within(wise_budget, Box::pin(step)).await
    }

    /// Applies one transition and returns the changed link.
    async fn apply(&self, t: Transition) -> Result<LinkRow, LinkError> {
        self.commit(vec![t], None).await
    }

    /// Applies transitions (and a pin) in one transaction, and wakes the outbox relay if they
    /// queued mail and the webhook worker if they published events.
    async fn commit(
        &self,
        transitions: Vec<Transition>,
        pin: Option<Pin>,
    ) -> Result<LinkRow, LinkError> {
        let queues_mail = transitions
            .iter()
            .any(|t| !t.messages.is_empty() || t.event == LinkEvent::ReminderSent);
        let publishes = transitions.iter().any(Transition::publishes);
        let now = self.clock.now();
        let audit = self.audit.clone();
        let row = self
            .db
            .run(move |conn| links::apply_all(conn, &transitions, pin, &audit, now))
            .await??;
        if queues_mail {
            self.outbox_wake.notify_one();
        }
        if publishes {
            self.events_wake.notify_one();
        }
        Ok(row)
    }

    async fn reload(&self, id: &LinkId) -> Result<LinkRow, LinkError> {
        links::read(&self.db, id)
            .await?
            .ok_or(LinkError::LinkNotFound)
    }

    /// The customer a link belongs to.
    async fn customer_of(&self, link: &LinkRow) -> Result<CustomerRow, LinkError> {
        Ok(self.stored_customer_of(link).await?.live()?)
    }

    /// The customer a link belongs to, as stored: live or erased.
    async fn stored_customer_of(&self, link: &LinkRow) -> Result<Customer, LinkError> {
        customers::read_by_id(&self.db, link.customer_id)
            .await?
            .ok_or(LinkError::CustomerNotFound)
    }

    fn seal(&self, link_id: &LinkId, column: SealedColumn, plain: &SecretString) -> Vec<u8> {
        self.seal_bytes(link_id, column, plain.expose_secret().as_bytes())
    }

    fn seal_bytes(&self, link_id: &LinkId, column: SealedColumn, plain: &[u8]) -> Vec<u8> {
        self.keys.seal(plain, aad(link_id, column))
    }

    /// Opens one sealed column of a link. A missing value is an inconsistency, not a client
    /// error.
    fn open_secret(&self, link: &LinkRow, column: SealedColumn) -> Result<SecretString, LinkError> {
        let sealed = column
            .of(link)
            .ok_or_else(|| anyhow::anyhow!("link {} has no {}", link.id, column.name()))?;
        self.open_sealed(&link.id, column, sealed)
    }

    /// A link's sealed value, opened.
    fn open_sealed(
        &self,
        link_id: &LinkId,
        column: SealedColumn,
        sealed: &[u8],
    ) -> Result<SecretString, LinkError> {
        let plain = self
            .keys
            .open(sealed, aad(link_id, column))
            .map_err(anyhow::Error::from)?;
        Ok(SecretString::from(
            String::from_utf8(plain).map_err(anyhow::Error::from)?,
        ))
    }

    /// New tokens, sealed, with their expiry.
    fn token_changes(&self, link_id: &LinkId, tokens: &UserTokens) -> TokenChanges {
        TokenChanges {
            access_token: Some(Some(self.seal(
                link_id,
                SealedColumn::AccessToken,
                &tokens.access_token,
            ))),
            refresh_token: Some(Some(self.seal(
                link_id,
                SealedColumn::RefreshToken,
                &tokens.refresh_token,
            ))),
            access_expires_at: Some(Some(crate::clock::stored(tokens.expires_at))),
            refresh_due_at: Some(Some(
                self.tokens.due_at(crate::clock::stored(tokens.expires_at)),
            )),
            ..TokenChanges::default()
        }
    }
}

fn aad(link_id: &LinkId, column: SealedColumn) -> Aad<'_> {
    Aad {
        table: "links",
        column: column.name(),
        row: link_id.as_str(),
    }
}

/// Tokens and the session destroyed (rejected, relink, unlink), and their upkeep ended.
/// A review opened without an identity check behind it: `reason`, no comparison kept (the staff
/// screen shows none), approvals starting over, and no tokens.
fn in_review_unchecked(reason: crate::domain::ReviewReason) -> LinkChanges {
    LinkChanges {
        review_reason: Some(Some(reason)),
        checked_at: Some(None),
        checked_partner_dob: Some(None),
        checked_partner_email: Some(None),
        checked_wise: Some(None),
        approvals: Some(0),
        first_approved_by: Some(None),
        ..wiped()
    }
}

fn wiped() -> LinkChanges {
    LinkChanges {
        access_token: Some(None),
        refresh_token: Some(None),
        access_expires_at: Some(None),
        session_token_hash: Some(None),
        refresh_due_at: Some(None),
        refresh_leased_until: Some(None),
        refresh_in_doubt_at: Some(None),
        // No tokens, no refresh to be failing.
        refresh_failures: Some(0),
        refresh_failing_since: Some(None),
        refresh_flagged_at: Some(None),
        ..LinkChanges::default()
    }
}

/// Wise could not be reached or asked us to wait.
fn unavailable(e: &WiseError) -> LinkError {
    tracing::warn!(error = %e, wise.trace_id = e.trace_id(), "Wise unavailable");
    LinkError::WiseUnavailable {
        retry_after: e.retry_after().map(|d| d.as_secs().max(1)),
    }
}
