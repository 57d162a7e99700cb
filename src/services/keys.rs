//! Key rotation: re-seals every secret at rest under the newest key of the ring, while the
//! service keeps running.

use crate::crypto::{Aad, KeyRing};
use crate::db::links::{self, SealedColumn};
use crate::db::{DbConnection, DbError};
use crate::db::{idempotency, outbox};

const BATCH: i64 = 500;

/// What a rotation did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub links: usize,
    /// Outbox messages still holding their sealed content.
    pub messages: usize,
    /// Stored responses replayed for an `Idempotency-Key`.
    pub responses: usize,
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
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Walks every link, then every outbox message that still holds content, then every stored
/// response. Every instance of the service must already have the new key in its ring (as the
/// newest) before this runs, or they could not open what it writes.
pub fn rotate(conn: &mut DbConnection, keys: &KeyRing) -> Result<Rotation, RotationError> {
    let mut done = Rotation::default();
    let mut after = String::new();
    loop {
        let batch = links::batch_after(conn, &after, BATCH)?;
        let Some(last) = batch.last() else {
            rotate_outbox(conn, keys, &mut done)?;
            rotate_responses(conn, keys, &mut done)?;
            return Ok(done);
        };
        after = last.id.to_string();
        for link in &batch {
            done.links += 1;
            for column in SealedColumn::ALL {
                let Some(sealed) = column.of(link) else {
                    continue;
                };
                if !keys.needs_rotation(sealed) {
                    done.already_current += 1;
                    continue;
                }
                let aad = Aad {
                    table: "links",
                    column: column.name(),
                    row: link.id.as_str(),
                };
                let resealed =
                    keys.reseal(sealed, aad)
                        .map_err(|reason| RotationError::Unreadable {
                            link: link.id.to_string(),
                            column: column.name(),
                            reason,
                        })?;
                if links::replace_sealed(conn, link.id.as_str(), column, sealed, &resealed)? {
                    done.resealed += 1;
                } else {
                    done.changed_meanwhile += 1;
                }
            }
        }
    }
}

fn rotate_outbox(
    conn: &mut DbConnection,
    keys: &KeyRing,
    done: &mut Rotation,
) -> Result<(), RotationError> {
    let mut after = 0;
    loop {
        let batch = outbox::sealed_after(conn, after, BATCH)?;
        let Some((last, _, _)) = batch.last() else {
            return Ok(());
        };
        after = *last;
        for (id, message_id, sealed) in &batch {
            done.messages += 1;
            if !keys.needs_rotation(sealed) {
                done.already_current += 1;
                continue;
            }
            let resealed = crate::services::outbox::reseal(keys, message_id, sealed)
                .map_err(|reason| RotationError::UnreadableMessage { id: *id, reason })?;
            if outbox::replace_payload(conn, *id, sealed, &resealed)? {
                done.resealed += 1;
            } else {
                done.changed_meanwhile += 1;
            }
        }
    }
}

fn rotate_responses(
    conn: &mut DbConnection,
    keys: &KeyRing,
    done: &mut Rotation,
) -> Result<(), RotationError> {
    let mut after = (String::new(), String::new());
    loop {
        let batch = idempotency::sealed_after(conn, &after, BATCH)?;
        let Some((scope, key, _)) = batch.last() else {
            return Ok(());
        };
        after = (scope.clone(), key.clone());
        for (scope, key, sealed) in &batch {
            done.responses += 1;
            if !keys.needs_rotation(sealed) {
                done.already_current += 1;
                continue;
            }
            let row = idempotency::row_name(scope, key);
            let resealed = keys
                .reseal(sealed, idempotency::aad(&row))
                .map_err(|reason| RotationError::UnreadableResponse {
                    scope: scope.clone(),
                    key: key.clone(),
                    reason,
                })?;
            if idempotency::replace_body(conn, scope, key, sealed, &resealed)? {
                done.resealed += 1;
            } else {
                done.changed_meanwhile += 1;
            }
        }
    }
}
