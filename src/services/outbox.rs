//! Preparing messages for the outbox and reading them back: the sealing both sides agree on.

use crate::crypto::{Aad, KeyRing};
use crate::db::outbox::{self, MessageKind, NewMessage, OutboxRow};
use crate::db::{Db, DbError};
use crate::mail::{self, Rendered};
use anyhow::Context;
use lettre::message::Mailbox;

fn aad(message_id: &str) -> Aad<'_> {
    Aad {
        table: "outbox",
        column: "payload",
        row: message_id,
    }
}

/// A message ready to be queued with a transition: a fresh Message-ID and the sealed content.
pub fn prepare(
    keys: &KeyRing,
    from: &Mailbox,
    link_id: Option<&str>,
    kind: MessageKind,
    recipient: &str,
    rendered: &Rendered,
) -> anyhow::Result<NewMessage> {
    let message_id = mail::new_message_id(from);
    let json = serde_json::to_vec(rendered).context("cannot serialise a message")?;
    let payload = keys.seal(&json, aad(&message_id));
    Ok(NewMessage {
        message_id,
        link_id: link_id.map(str::to_owned),
        kind,
        recipient: recipient.to_owned(),
        payload,
        traceparent: crate::telemetry::current_traceparent(),
        scheduled_for: None,
    })
}

/// The content of a queued message.
pub fn open(keys: &KeyRing, row: &OutboxRow) -> anyhow::Result<Rendered> {
    let sealed = row
        .payload
        .as_deref()
        .with_context(|| format!("outbox message {} has no content", row.id))?;
    let json = keys
        .open(sealed, aad(&row.message_id))
        .with_context(|| format!("outbox message {} does not open", row.id))?;
    serde_json::from_slice(&json).context("outbox content is not a message")
}

/// Re-seals a message's content under the newest key (key rotation).
pub fn reseal(
    keys: &KeyRing,
    message_id: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, crate::crypto::CryptoError> {
    keys.reseal(sealed, aad(message_id))
}

/// A message the `dev` transport kept, opened.
pub struct KeptMessage {
    pub row: OutboxRow,
    pub content: Rendered,
}

/// The newest `limit` messages the `dev` transport kept (for one recipient, if given), oldest
/// first.
pub async fn kept_messages(
    db: &Db,
    keys: &KeyRing,
    recipient: Option<String>,
    limit: i64,
) -> anyhow::Result<Vec<KeptMessage>> {
    let mut rows = db
        .run(move |c| outbox::dev_mailbox(c, recipient.as_deref(), limit))
        .await
        .map_err(|e: DbError| anyhow::Error::from(e))?;
    rows.reverse();
    rows.into_iter()
        .map(|row| {
            let content = open(keys, &row)?;
            Ok(KeptMessage { row, content })
        })
        .collect()
}
