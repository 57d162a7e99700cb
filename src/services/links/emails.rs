//! The emails a link sends, prepared for the outbox so they are queued with the transition that
//! causes them.

use super::{LinkError, SessionToken};
use crate::db::customers::CustomerRow;
use crate::db::outbox::{MessageKind, NewMessage};
use crate::mail;
use crate::services::outbox;
use crate::state::AppState;
use chrono::NaiveDateTime;
use secrecy::{ExposeSecret, SecretString};

/// The customer's code-entry page, which the session token opens.
fn code_entry_url(state: &AppState, session: &SessionToken) -> SecretString {
    SecretString::from(format!(
        "{}/link/{}",
        state.settings.server.public_url.trim_end_matches('/'),
        session.token.expose_secret()
    ))
}

/// "Finish linking": sent after Wise's 409, to the address Wise emailed the code to.
pub fn finish_linking(
    state: &AppState,
    link_id: &str,
    signup_email: &str,
    customer: &CustomerRow,
    session: &SessionToken,
    code_expires_at: NaiveDateTime,
) -> Result<NewMessage, LinkError> {
    let rendered = mail::finish_linking(
        &customer.first_name,
        &code_entry_url(state, session),
        code_expires_at,
    )
    .map_err(anyhow::Error::from)?;
    prepare(
        state,
        link_id,
        MessageKind::FinishLinking,
        signup_email,
        &rendered,
    )
}

/// "Your Wise account is linked": sent when the link becomes active.
pub fn linked(
    state: &AppState,
    link_id: &str,
    signup_email: &str,
    customer: &CustomerRow,
    created: bool,
) -> Result<NewMessage, LinkError> {
    let rendered =
        mail::linked(&customer.first_name, signup_email, created).map_err(anyhow::Error::from)?;
    prepare(state, link_id, MessageKind::Linked, signup_email, &rendered)
}

fn prepare(
    state: &AppState,
    link_id: &str,
    kind: MessageKind,
    to: &str,
    rendered: &mail::Rendered,
) -> Result<NewMessage, LinkError> {
    Ok(outbox::prepare(
        &state.keys,
        &state.mail_from,
        Some(link_id),
        kind,
        to,
        rendered,
    )?)
}
