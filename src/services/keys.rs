//! Key rotation: re-seals every secret at rest under the newest key of the ring, while the
//! service keeps running, a batch at a time, telling its progress after each batch.
//!
//! A rotation stopped anywhere (interrupted, killed, a lost connection) is resumed by running it
//! again: each value is replaced with a compare-and-set, and a value already sealed under the
//! newest key is only counted.

mod walk;

use crate::crypto::KeyRing;
use crate::db::{DbConnection, DbError};
use std::time::Duration;

/// Every sealed column at rest, as `(table, column)`: what a rotation re-seals. A test holds it
/// against the schema's binary columns that are not hashes, so a new sealed column cannot be
/// left out of rotation.
pub const SEALED_COLUMNS: [(&str, &str); 10] = [
    ("links", "registration_code"),
    ("link_tokens", "access_token"),
    ("link_tokens", "refresh_token"),
    ("link_reviews", "checked_wise"),
    ("outbox", "payload"),
    ("idempotency_keys", "response_body"),
    ("staff_users", "totp_secret"),
    ("staff_sessions", "sso_refresh_token"),
    ("webhook_endpoints", "secret"),
    ("webhook_endpoints", "previous_secret"),
];

/// How a rotation walks: rows per batch, and a pause after each batch for a busy database.
#[derive(Debug, Clone)]
pub struct Options {
    pub batch: i64,
    pub pause: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            batch: 500,
            pause: Duration::ZERO,
        }
    }
}

/// The parts of the database a rotation walks, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Links,
    QueuedEmails,
    StoredResponses,
    TotpSecrets,
    SignInSessions,
    WebhookEndpoints,
}

impl Part {
    pub const ALL: [Part; 6] = [
        Part::Links,
        Part::QueuedEmails,
        Part::StoredResponses,
        Part::TotpSecrets,
        Part::SignInSessions,
        Part::WebhookEndpoints,
    ];

    /// What the progress lines call it.
    pub fn name(self) -> &'static str {
        match self {
            Part::Links => "links",
            Part::QueuedEmails => "queued emails",
            Part::StoredResponses => "stored responses",
            Part::TotpSecrets => "staff TOTP secrets",
            Part::SignInSessions => "staff sign-in sessions",
            Part::WebhookEndpoints => "webhook endpoints",
        }
    }
}

/// Where a rotation is, told when a part begins, after each of its batches, and when it ends.
#[derive(Debug)]
pub struct Progress<'a> {
    pub part: Part,
    /// Rows of this part examined so far.
    pub examined: usize,
    /// The rows this part held when it began (rows added since are examined too).
    pub total: usize,
    pub finished: bool,
    /// Every part so far.
    pub so_far: &'a Rotation,
}

/// What a rotation did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub links: usize,
    /// Outbox messages still holding their sealed content.
    pub messages: usize,
    /// Stored responses replayed for an `Idempotency-Key`.
    pub responses: usize,
    /// Staff accounts with a TOTP secret.
    pub staff: usize,
    /// Webhook endpoints (their signing secrets).
    pub endpoints: usize,
    /// Staff sessions holding an identity provider's refresh token.
    pub sessions: usize,
    pub resealed: usize,
    pub already_current: usize,
    /// Values the service replaced while the rotation ran (it seals with the newest key itself).
    pub changed_meanwhile: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("link {link} {column} does not open with any key in crypto.keys: {reason}")]
    Unreadable {
        link: String,
        column: &'static str,
        reason: crate::crypto::CryptoError,
    },
    #[error("outbox message {id} does not open with any key in crypto.keys: {reason}")]
    UnreadableMessage {
        id: i64,
        reason: crate::crypto::CryptoError,
    },
    #[error(
        "the stored response for Idempotency-Key {key:?} ({scope}) does not open with any key in crypto.keys: {reason}"
    )]
    UnreadableResponse {
        scope: String,
        key: String,
        reason: crate::crypto::CryptoError,
    },
    #[error(
        "the TOTP secret of staff member {username} does not open with any key in crypto.keys: {reason}"
    )]
    UnreadableTotp {
        username: String,
        reason: crate::crypto::CryptoError,
    },
    #[error(
        "a staff session's refresh token does not open with any key in crypto.keys (end the session with `wiselink staff disable` or wait for it to expire): {reason}"
    )]
    UnreadableSession { reason: crate::crypto::CryptoError },
    #[error(
        "the signing secret of webhook endpoint {endpoint} does not open with any key in crypto.keys: {reason}"
    )]
    UnreadableWebhookSecret {
        endpoint: String,
        reason: crate::crypto::CryptoError,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Rotation {
    /// Rows of `part` examined so far.
    pub fn examined(&self, part: Part) -> usize {
        match part {
            Part::Links => self.links,
            Part::QueuedEmails => self.messages,
            Part::StoredResponses => self.responses,
            Part::TotpSecrets => self.staff,
            Part::SignInSessions => self.sessions,
            Part::WebhookEndpoints => self.endpoints,
        }
    }

    /// One sealed value: left alone if the newest key sealed it, else opened and sealed again
    /// (`reseal`) and written only if it still holds what was read (`replace`); counted either way.
    fn one(
        &mut self,
        keys: &KeyRing,
        sealed: &[u8],
        reseal: impl FnOnce() -> Result<Vec<u8>, RotationError>,
        replace: impl FnOnce(&[u8]) -> Result<bool, DbError>,
    ) -> Result<(), RotationError> {
        if !keys.needs_rotation(sealed) {
            self.already_current += 1;
            return Ok(());
        }
        let resealed = reseal()?;
        if replace(&resealed)? {
            self.resealed += 1;
        } else {
            self.changed_meanwhile += 1;
        }
        Ok(())
    }
}

/// Walks every part of the database (`Part::ALL`), telling `progress` where it is. Every
/// instance of the service must already have the new key in its ring (as the newest) before this
/// runs, or they could not open what it writes.
pub fn rotate(
    conn: &mut DbConnection,
    keys: &KeyRing,
    options: &Options,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Rotation, RotationError> {
    let mut run = walk::Run::new(conn, keys, options, progress);
    for part in Part::ALL {
        run.part(part)?;
    }
    let done = run.finish();
    crate::db::erasure::flush_freed(conn)?;
    Ok(done)
}

#[cfg(test)]
mod tests;
