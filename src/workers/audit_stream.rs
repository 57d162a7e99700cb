//! The audit stream: sends every chain entry and signed checkpoint, in order, as RFC 5424 syslog
//! ([`crate::audit::syslog`]) to the operator's collector, within about a second of the sealer
//! chaining it. One instance of a fleet streams at a time (a lease in `audit_stream_cursors`,
//! renewed every pass, taken over when it lapses, and given up while the holder cannot reach the
//! collector); the cursor moves only after a batch was written
//! and flushed, so nothing is skipped across a crash, a restart or a collector outage, and each
//! new connection repeats the last `audit.stream.replay_entries` entries (at least once; the
//! records' sequence numbers let the collector drop repeats). Each connection is recorded as a
//! staff audit row, which the stream then carries too.

mod transport;

pub use transport::Connector;

use super::Stop;
use crate::audit::SigningKeys;
use crate::audit::syslog::Sender;
use crate::clock::SharedClock;
use crate::db::Db;
use crate::db::audit::stream::{self as cursor, Cursor};
use crate::services::audit::stream::{self as records, Batch};
use std::sync::Arc;
use std::time::Duration;
use transport::Connection;

/// The cursor's name: one stream per deployment.
const STREAM: &str = "syslog";
/// Entries per batch (one write to the collector).
const BATCH: i64 = 500;
/// The pause once everything is sent, or while another instance streams.
const PAUSE: Duration = Duration::from_secs(1);
/// How long a lease lasts without renewal.
const LEASE: chrono::Duration = chrono::Duration::seconds(30);
/// The longest wait between attempts to reach the collector.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

pub struct Streamer {
    pub db: Db,
    pub clock: SharedClock,
    pub keys: Arc<SigningKeys>,
    pub connector: Connector,
    pub sender: Sender,
    pub replay: i64,
    /// This process, as the lease's holder.
    pub holder: String,
}

pub async fn run(streamer: Arc<Streamer>, mut stop: Stop) {
    let mut open: Option<(Connection, Cursor)> = None;
    let mut backoff = PAUSE;
    metrics::gauge!("wiselink_audit_stream_connected").set(0.0);
    // Exported from the start, so a stream that never connects still shows nothing streamed.
    metrics::counter!("wiselink_audit_streamed_total").increment(0);
    while !stop.requested() {
        let pause = match streamer.pass(&mut open).await {
            Ok(Pass::More) => continue,
            Ok(Pass::Idle) => {
                backoff = PAUSE;
                PAUSE
            }
            Ok(Pass::Unreachable) => {
                backoff = (backoff * 2).min(MAX_BACKOFF);
                backoff
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the audit stream's cursor or chain");
                PAUSE
            }
        };
        metrics::gauge!("wiselink_audit_stream_connected").set(f64::from(u8::from(open.is_some())));
        if stop.sleep(pause).await {
            break;
        }
    }
    let (db, holder) = (streamer.db.clone(), streamer.holder.clone());
    if let Err(e) = db.run(move |c| cursor::release(c, STREAM, &holder)).await {
        tracing::warn!(error = %e, "cannot release the audit stream's lease");
    }
}

enum Pass {
    /// A whole batch went out: more may be waiting.
    More,
    /// Nothing to send, or another instance streams.
    Idle,
    /// The collector could not be reached, or the connection broke.
    Unreachable,
}

impl Streamer {
    async fn pass(
        &self,
        open: &mut Option<(Connection, Cursor)>,
    ) -> Result<Pass, crate::db::DbError> {
        let now = self.clock.now();
        let holder = self.holder.clone();
        let claimed = self
            .db
            .run(move |c| cursor::claim(c, STREAM, &holder, now + LEASE, now))
            .await?;
        let Some(stored) = claimed else {
            // Another instance streams; its lease lapses if it stops renewing.
            *open = None;
            metrics::gauge!("wiselink_audit_stream_lag_entries").set(0.0);
            return Ok(Pass::Idle);
        };
        if let Some((connection, _)) = open.as_mut()
            && Connector::closed(connection)
        {
            tracing::warn!(
                destination = self.connector.destination(),
                "the audit collector closed the connection"
            );
            *open = None;
        }
        if open.is_none() {
            let connection = match self.connector.connect().await {
                Ok(connection) => connection,
                Err(e) => {
                    tracing::warn!(
                        destination = self.connector.destination(),
                        error = %e,
                        "cannot reach the audit collector"
                    );
                    self.lag(stored).await?;
                    // Another instance may reach the collector from where it runs: the lease is
                    // free for it while this one waits before trying again.
                    let holder = self.holder.clone();
                    self.db
                        .run(move |c| cursor::release(c, STREAM, &holder))
                        .await?;
                    return Ok(Pass::Unreachable);
                }
            };
            let from = records::rewound(stored, self.replay);
            let (keys, destination) = (self.keys.clone(), self.connector.destination().to_owned());
            self.db
                .run(move |c| records::record_connection(c, &keys, &destination, from, now))
                .await?;
            tracing::info!(
                destination = self.connector.destination(),
                after = from.entry_seq,
                "audit stream connected"
            );
            *open = Some((connection, from));
        }
        let Some((connection, position)) = open.as_mut() else {
            return Ok(Pass::Idle);
        };
        let from = *position;
        let batch: Batch = self
            .db
            .run(move |c| records::next_batch(c, from, BATCH))
            .await?;
        if batch.messages.is_empty() {
            self.lag(stored.max_with(from)).await?;
            return Ok(Pass::Idle);
        }
        let mut bytes = Vec::new();
        for message in &batch.messages {
            bytes.extend(self.sender.frame(message.msgid, message.at, &message.json));
        }
        if let Err(e) = self.connector.send(connection, &bytes).await {
            tracing::warn!(
                destination = self.connector.destination(),
                error = %e,
                "the audit collector's connection broke"
            );
            *open = None;
            return Ok(Pass::Unreachable);
        }
        *position = batch.sent;
        metrics::counter!("wiselink_audit_streamed_total").increment(batch.messages.len() as u64);
        let (holder, sent) = (self.holder.clone(), batch.sent);
        let still_held = self
            .db
            .run(move |c| cursor::advance(c, STREAM, &holder, sent, now))
            .await?;
        if !still_held {
            *open = None;
            return Ok(Pass::Idle);
        }
        self.lag(stored.max_with(sent)).await?;
        Ok(if batch.messages.len() as i64 >= BATCH {
            Pass::More
        } else {
            Pass::Idle
        })
    }

    /// Publishes how many chained entries the collector has not been sent.
    async fn lag(&self, sent: Cursor) -> Result<(), crate::db::DbError> {
        let (head, _) = self.db.run(crate::db::audit::head).await?;
        metrics::gauge!("wiselink_audit_stream_lag_entries")
            .set((head - sent.entry_seq).max(0) as f64);
        Ok(())
    }
}
