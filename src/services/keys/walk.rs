//! The walk itself: each part of the database a batch at a time, every sealed value opened and
//! sealed again under the newest key, and written back only if it did not change meanwhile.

use super::{Options, Part, Progress, Rotation, RotationError};
use crate::crypto::{Aad, KeyRing};
use crate::db::links::{self, SealedColumn};
use crate::db::{DbConnection, DbError};
use crate::db::{idempotency, outbox, sealed, staff, webhooks};

/// Rows keyed by an id, as `(id, name, sealed value)`, a batch after the given id at a time.
type ById = fn(&mut DbConnection, i64, i64) -> Result<Vec<(i64, String, Vec<u8>)>, DbError>;

/// A rotation under way.
pub(super) struct Run<'a> {
    conn: &'a mut DbConnection,
    keys: &'a KeyRing,
    options: &'a Options,
    progress: &'a mut dyn FnMut(&Progress<'_>),
    done: Rotation,
    /// The rows the part being walked held when it began.
    total: usize,
}

impl<'a> Run<'a> {
    pub(super) fn new(
        conn: &'a mut DbConnection,
        keys: &'a KeyRing,
        options: &'a Options,
        progress: &'a mut dyn FnMut(&Progress<'_>),
    ) -> Self {
        Self {
            conn,
            keys,
            options,
            progress,
            done: Rotation::default(),
            total: 0,
        }
    }

    pub(super) fn finish(self) -> Rotation {
        self.done
    }

    /// Walks one part, from its first row to its last, telling where it is.
    pub(super) fn part(&mut self, part: Part) -> Result<(), RotationError> {
        let count = match part {
            Part::Links => sealed::links,
            Part::QueuedEmails => sealed::queued_emails,
            Part::StoredResponses => sealed::stored_responses,
            Part::TotpSecrets => sealed::totp_secrets,
            Part::SignInSessions => sealed::sign_in_sessions,
            Part::WebhookEndpoints => sealed::webhook_endpoints,
        };
        self.total = usize::try_from(count(self.conn)?).unwrap_or(usize::MAX);
        self.tell(part, false);
        match part {
            Part::Links => self.links()?,
            Part::QueuedEmails => {
                self.each_by_id(part, outbox::sealed_after, |run, id, mid, old| {
                    run.done.messages += 1;
                    let (keys, conn) = (run.keys, &mut *run.conn);
                    run.done.one(
                        keys,
                        old,
                        || {
                            crate::services::outbox::reseal(keys, mid, old)
                                .map_err(|reason| RotationError::UnreadableMessage { id, reason })
                        },
                        |new| outbox::replace_payload(conn, id, old, new),
                    )
                })?
            }
            Part::StoredResponses => self.responses()?,
            Part::TotpSecrets => {
                self.each_by_id(part, staff::sealed_totp_after, |run, id, name, old| {
                    run.done.staff += 1;
                    let (keys, conn) = (run.keys, &mut *run.conn);
                    run.done.one(
                        keys,
                        old,
                        || {
                            keys.reseal(old, crate::services::staff::totp_aad(name))
                                .map_err(|reason| RotationError::UnreadableTotp {
                                    username: name.to_owned(),
                                    reason,
                                })
                        },
                        |new| staff::replace_totp(conn, id, old, new),
                    )
                })?
            }
            Part::SignInSessions => self.sso_sessions()?,
            Part::WebhookEndpoints => self.webhook_secrets()?,
        }
        self.tell(part, true);
        Ok(())
    }

    fn tell(&mut self, part: Part, finished: bool) {
        (self.progress)(&Progress {
            part,
            examined: self.done.examined(part),
            total: self.total,
            finished,
            so_far: &self.done,
        });
    }

    /// After a batch: the progress, then the pause that spares a busy database.
    fn batch_done(&mut self, part: Part) {
        self.tell(part, false);
        if !self.options.pause.is_zero() {
            std::thread::sleep(self.options.pause);
        }
    }

    fn links(&mut self) -> Result<(), RotationError> {
        let mut after = String::new();
        loop {
            let batch = links::batch_after(self.conn, &after, self.options.batch)?;
            let Some(last) = batch.last() else {
                return Ok(());
            };
            after = last.id.to_string();
            for link in &batch {
                self.done.links += 1;
                for column in SealedColumn::ALL {
                    let Some(old) = column.of(link) else {
                        continue;
                    };
                    let aad = Aad {
                        table: "links",
                        column: column.name(),
                        row: link.id.as_str(),
                    };
                    let (keys, conn) = (self.keys, &mut *self.conn);
                    self.done.one(
                        keys,
                        old,
                        || {
                            keys.reseal(old, aad)
                                .map_err(|reason| RotationError::Unreadable {
                                    link: link.id.to_string(),
                                    column: column.name(),
                                    reason,
                                })
                        },
                        |new| links::replace_sealed(conn, link.id.as_str(), column, old, new),
                    )?;
                }
            }
            self.batch_done(Part::Links);
        }
    }

    /// Calls `each` for every row `fetch` gives, in id order, a batch at a time.
    fn each_by_id(
        &mut self,
        part: Part,
        fetch: ById,
        mut each: impl FnMut(&mut Self, i64, &str, &[u8]) -> Result<(), RotationError>,
    ) -> Result<(), RotationError> {
        let mut after = 0;
        loop {
            let batch = fetch(self.conn, after, self.options.batch)?;
            let Some((last, _, _)) = batch.last() else {
                return Ok(());
            };
            after = *last;
            for (id, name, sealed) in &batch {
                each(self, *id, name, sealed)?;
            }
            self.batch_done(part);
        }
    }

    fn responses(&mut self) -> Result<(), RotationError> {
        let mut after = (String::new(), String::new());
        loop {
            let batch = idempotency::sealed_after(self.conn, &after, self.options.batch)?;
            let Some((scope, key, _)) = batch.last() else {
                return Ok(());
            };
            after = (scope.clone(), key.clone());
            for (scope, key, old) in &batch {
                self.done.responses += 1;
                let row = idempotency::row_name(scope, key);
                let (keys, conn) = (self.keys, &mut *self.conn);
                self.done.one(
                    keys,
                    old,
                    || {
                        keys.reseal(old, idempotency::aad(&row)).map_err(|reason| {
                            RotationError::UnreadableResponse {
                                scope: scope.clone(),
                                key: key.clone(),
                                reason,
                            }
                        })
                    },
                    |new| idempotency::replace_body(conn, scope, key, old, new),
                )?;
            }
            self.batch_done(Part::StoredResponses);
        }
    }

    fn webhook_secrets(&mut self) -> Result<(), RotationError> {
        let mut after = String::new();
        loop {
            let batch = webhooks::sealed_after(self.conn, &after, self.options.batch)?;
            let Some((last, _, _)) = batch.last() else {
                return Ok(());
            };
            after = last.clone();
            for (id, secret, previous) in &batch {
                self.done.endpoints += 1;
                let sealed = [(false, Some(secret)), (true, previous.as_ref())];
                for (is_previous, old) in sealed {
                    let Some(old) = old else {
                        continue;
                    };
                    let (keys, conn) = (self.keys, &mut *self.conn);
                    self.done.one(
                        keys,
                        old,
                        || {
                            crate::services::webhooks::reseal(keys, id, old).map_err(|reason| {
                                RotationError::UnreadableWebhookSecret {
                                    endpoint: id.clone(),
                                    reason,
                                }
                            })
                        },
                        |new| webhooks::replace_secret(conn, id, is_previous, old, new),
                    )?;
                }
            }
            self.batch_done(Part::WebhookEndpoints);
        }
    }

    /// Staff sessions are few (one per person signed in), so they are read in one batch.
    fn sso_sessions(&mut self) -> Result<(), RotationError> {
        for (id_hash, old) in staff::sso::sealed_refresh_tokens(self.conn)? {
            self.done.sessions += 1;
            let row = hex::encode(&id_hash);
            let (keys, conn) = (self.keys, &mut *self.conn);
            self.done.one(
                keys,
                &old,
                || {
                    keys.reseal(&old, crate::services::staff::refresh_aad(&row))
                        .map_err(|reason| RotationError::UnreadableSession { reason })
                },
                |new| staff::sso::replace_refresh_token(conn, &id_hash, &old, new),
            )?;
        }
        Ok(())
    }
}
