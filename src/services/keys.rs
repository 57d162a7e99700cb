//! Key rotation: re-seals every secret at rest under the newest key of the ring, while the
//! service keeps running.

use crate::crypto::{Aad, KeyRing};
use crate::db::links::{self, SealedColumn};
use crate::db::{DbConnection, DbError};
use crate::db::{idempotency, outbox, staff};

/// Every sealed column at rest, as `(table, column)`: what a rotation re-seals. A test holds it
/// against the schema's binary columns that are not hashes, so a new sealed column cannot be
/// left out of rotation.
pub const SEALED_COLUMNS: [(&str, &str); 7] = [
    ("links", "registration_code"),
    ("links", "access_token"),
    ("links", "refresh_token"),
    ("links", "checked_wise"),
    ("outbox", "payload"),
    ("idempotency_keys", "response_body"),
    ("staff_users", "totp_secret"),
];

const BATCH: i64 = 500;

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
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Walks every link, then every outbox message that still holds content, every stored
/// response, and every staff TOTP secret. Every instance of the service must already have the new key in its ring (as the
/// newest) before this runs, or they could not open what it writes.
pub fn rotate(conn: &mut DbConnection, keys: &KeyRing) -> Result<Rotation, RotationError> {
    let mut done = Rotation::default();
    let mut after = String::new();
    loop {
        let batch = links::batch_after(conn, &after, BATCH)?;
        let Some(last) = batch.last() else {
            rotate_outbox(conn, keys, &mut done)?;
            rotate_responses(conn, keys, &mut done)?;
            rotate_totp(conn, keys, &mut done)?;
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

fn rotate_totp(
    conn: &mut DbConnection,
    keys: &KeyRing,
    done: &mut Rotation,
) -> Result<(), RotationError> {
    let mut after = 0;
    loop {
        let batch = staff::sealed_totp_after(conn, after, BATCH)?;
        let Some((last, _, _)) = batch.last() else {
            return Ok(());
        };
        after = *last;
        for (id, username, sealed) in &batch {
            done.staff += 1;
            if !keys.needs_rotation(sealed) {
                done.already_current += 1;
                continue;
            }
            let resealed = keys
                .reseal(sealed, crate::services::staff::totp_aad(username))
                .map_err(|reason| RotationError::UnreadableTotp {
                    username: username.clone(),
                    reason,
                })?;
            if staff::replace_totp(conn, *id, sealed, &resealed)? {
                done.resealed += 1;
            } else {
                done.changed_meanwhile += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SEALED_COLUMNS;
    use crate::db::links::SealedColumn;
    use std::collections::BTreeSet;

    /// `(table, column)` of every binary column in the diesel schema.
    fn binary_columns() -> BTreeSet<(String, String)> {
        let schema = include_str!("../db/schema.rs");
        let mut table = String::new();
        let mut out = BTreeSet::new();
        for line in schema.lines().map(str::trim) {
            if let Some(name) = line
                .strip_suffix('{')
                .and_then(|l| l.split_whitespace().next())
            {
                table = name.to_owned();
            } else if let Some((column, kind)) = line.split_once("->")
                && kind.contains("Binary")
            {
                out.insert((table.clone(), column.trim().to_owned()));
            }
        }
        out
    }

    #[test]
    fn rotation_covers_every_binary_column_that_is_not_a_hash() {
        let sealed: BTreeSet<(String, String)> = binary_columns()
            .into_iter()
            .filter(|(_, c)| !c.ends_with("_hash") && c != "request_fingerprint")
            .collect();
        let rotated: BTreeSet<(String, String)> = SEALED_COLUMNS
            .iter()
            .map(|(t, c)| ((*t).to_owned(), (*c).to_owned()))
            .collect();
        assert_eq!(
            sealed, rotated,
            "a binary column holds a sealed value: add it to SEALED_COLUMNS and to rotate()"
        );
        let links: BTreeSet<&str> = SEALED_COLUMNS
            .iter()
            .filter(|(t, _)| *t == "links")
            .map(|(_, c)| *c)
            .collect();
        assert_eq!(
            links,
            SealedColumn::ALL
                .map(SealedColumn::name)
                .into_iter()
                .collect(),
            "the links walk re-seals exactly these"
        );
        assert!(
            binary_columns().len() > SEALED_COLUMNS.len(),
            "hashes are read too"
        );
    }
}
