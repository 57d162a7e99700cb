//! Key rotation: re-seals every secret at rest under the newest key of the ring, while the
//! service keeps running.

use crate::crypto::{Aad, KeyRing};
use crate::db::links::{self, SealedColumn};
use crate::db::{DbConnection, DbError};
use crate::db::{idempotency, outbox, staff, webhooks};

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

/// Walks every link, then every outbox message that still holds content, every stored
/// response, every staff TOTP secret and every webhook signing secret. Every instance of the service must already have the new key in its ring (as the
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
            rotate_sso_sessions(conn, keys, &mut done)?;
            rotate_webhook_secrets(conn, keys, &mut done)?;
            return Ok(done);
        };
        after = last.id.to_string();
        for link in &batch {
            done.links += 1;
            for column in SealedColumn::ALL {
                let Some(sealed) = column.of(link) else {
                    continue;
                };
                let aad = Aad {
                    table: "links",
                    column: column.name(),
                    row: link.id.as_str(),
                };
                done.one(
                    keys,
                    sealed,
                    || {
                        keys.reseal(sealed, aad)
                            .map_err(|reason| RotationError::Unreadable {
                                link: link.id.to_string(),
                                column: column.name(),
                                reason,
                            })
                    },
                    |new| links::replace_sealed(conn, link.id.as_str(), column, sealed, new),
                )?;
            }
        }
    }
}

/// Rows keyed by an id, as `(id, name, sealed value)`, a batch after the given id at a time.
type ById = fn(&mut DbConnection, i64, i64) -> Result<Vec<(i64, String, Vec<u8>)>, DbError>;

/// Calls `each` for every row `fetch` gives, in id order, a batch at a time.
fn each_by_id(
    conn: &mut DbConnection,
    fetch: ById,
    mut each: impl FnMut(&mut DbConnection, i64, &str, &[u8]) -> Result<(), RotationError>,
) -> Result<(), RotationError> {
    let mut after = 0;
    loop {
        let batch = fetch(conn, after, BATCH)?;
        let Some((last, _, _)) = batch.last() else {
            return Ok(());
        };
        after = *last;
        for (id, name, sealed) in &batch {
            each(conn, *id, name, sealed)?;
        }
    }
}

fn rotate_outbox(
    conn: &mut DbConnection,
    keys: &KeyRing,
    done: &mut Rotation,
) -> Result<(), RotationError> {
    each_by_id(
        conn,
        outbox::sealed_after,
        |conn, id, message_id, sealed| {
            done.messages += 1;
            done.one(
                keys,
                sealed,
                || {
                    crate::services::outbox::reseal(keys, message_id, sealed)
                        .map_err(|reason| RotationError::UnreadableMessage { id, reason })
                },
                |new| outbox::replace_payload(conn, id, sealed, new),
            )
        },
    )
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
            let row = idempotency::row_name(scope, key);
            done.one(
                keys,
                sealed,
                || {
                    keys.reseal(sealed, idempotency::aad(&row))
                        .map_err(|reason| RotationError::UnreadableResponse {
                            scope: scope.clone(),
                            key: key.clone(),
                            reason,
                        })
                },
                |new| idempotency::replace_body(conn, scope, key, sealed, new),
            )?;
        }
    }
}

fn rotate_totp(
    conn: &mut DbConnection,
    keys: &KeyRing,
    done: &mut Rotation,
) -> Result<(), RotationError> {
    each_by_id(
        conn,
        staff::sealed_totp_after,
        |conn, id, username, sealed| {
            done.staff += 1;
            done.one(
                keys,
                sealed,
                || {
                    keys.reseal(sealed, crate::services::staff::totp_aad(username))
                        .map_err(|reason| RotationError::UnreadableTotp {
                            username: username.to_owned(),
                            reason,
                        })
                },
                |new| staff::replace_totp(conn, id, sealed, new),
            )
        },
    )
}

fn rotate_webhook_secrets(
    conn: &mut DbConnection,
    keys: &KeyRing,
    done: &mut Rotation,
) -> Result<(), RotationError> {
    let mut after = String::new();
    loop {
        let batch = webhooks::sealed_after(conn, &after, BATCH)?;
        let Some((last, _, _)) = batch.last() else {
            return Ok(());
        };
        after = last.clone();
        for (id, secret, previous) in &batch {
            done.endpoints += 1;
            let sealed = [(false, Some(secret)), (true, previous.as_ref())];
            for (is_previous, value) in sealed {
                let Some(value) = value else {
                    continue;
                };
                done.one(
                    keys,
                    value,
                    || {
                        crate::services::webhooks::reseal(keys, id, value).map_err(|reason| {
                            RotationError::UnreadableWebhookSecret {
                                endpoint: id.clone(),
                                reason,
                            }
                        })
                    },
                    |new| webhooks::replace_secret(conn, id, is_previous, value, new),
                )?;
            }
        }
    }
}

#[cfg(test)]
mod tests;

fn rotate_sso_sessions(
    conn: &mut DbConnection,
    keys: &KeyRing,
    done: &mut Rotation,
) -> Result<(), RotationError> {
    for (id_hash, sealed) in staff::sso::sealed_refresh_tokens(conn)? {
        done.sessions += 1;
        let row = hex::encode(&id_hash);
        done.one(
            keys,
            &sealed,
            || {
                keys.reseal(&sealed, crate::services::staff::refresh_aad(&row))
                    .map_err(|reason| RotationError::UnreadableSession { reason })
            },
            |new| staff::sso::replace_refresh_token(conn, &id_hash, &sealed, new),
        )?;
    }
    Ok(())
}
