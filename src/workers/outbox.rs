//! The outbox relay: delivers queued messages with retries and backoff. Each message is leased
//! by a compare-and-set on the row, so several instances sharing one PostgreSQL never deliver one
//! message at the same time, and a relay that dies mid-way only delays it until the lease ends.
//! Every attempt sends the same Message-ID, so a receiver can drop a duplicate that a lost
//! answer caused.

use super::Stop;
use crate::clock::SharedClock;
use crate::crypto::KeyRing;
use crate::db::{Db, outbox};
use crate::mail::{self, Mailer};
use crate::services::outbox as outbox_service;
use crate::settings::MailSettings;
use chrono::Duration;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use rand::Rng;
use std::sync::Arc;
use std::time::{Duration as StdDuration, SystemTime};
use tokio::sync::Notify;
use tracing::Instrument;

/// Messages leased per pass, all sent at once: a pass takes at most one (bounded) send, well
/// inside the lease, so a delivered message is marked sent before anyone could take it over.
const BATCH: i64 = 32;

/// One delivery may take this many `mail.smtp_timeout_secs` at most.
pub const SEND_TIMEOUTS: u64 = 3;

/// What the relay needs.
pub struct Relay {
    pub db: Db,
    pub keys: Arc<KeyRing>,
    pub mailer: Arc<Mailer>,
    /// `mail.from`, parsed.
    pub mail_from: Mailbox,
    pub settings: MailSettings,
    /// Notified when a transition queues a message.
    pub wake: Arc<Notify>,
    pub clock: SharedClock,
}

/// Runs until `stop`: a pass every `mail.relay_interval_ms`, or at once when a message is queued.
pub async fn run(relay: Arc<Relay>, mut stop: Stop) {
    let every = StdDuration::from_millis(relay.settings.relay_interval_ms);
    loop {
        if stop.keys_held().await {
            return;
        }
        // A full batch means more may be waiting: go on without sleeping.
        while !stop.requested() && run_once(&relay).await == BATCH as usize {}
        tokio::select! {
            () = relay.wake.notified() => {}
            () = tokio::time::sleep(every) => {}
            () = stop.asked() => return,
        }
    }
}

/// One pass: leases a batch of due messages and delivers them, a few at a time. Returns how many
/// it tried to deliver.
pub async fn run_once(relay: &Relay) -> usize {
    let lease = Duration::seconds(relay.settings.lease_secs as i64);
    let now = relay.clock.now();
    let claimed = relay
        .db
        .run(move |c| outbox::claim_due(c, now, now + lease, BATCH))
        .await;
    let rows = match claimed {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "outbox: cannot claim due messages");
            return 0;
        }
    };
    let tried = rows.len();
    let sent: Vec<i64> = futures_util::stream::iter(rows)
        .map(|row| deliver(relay, row))
        .buffer_unordered(BATCH as usize)
        .filter_map(std::future::ready)
        .collect()
        .await;
    if !sent.is_empty() {
        let transport = relay.mailer.transport();
        let keep = transport == crate::settings::MailTransport::Dev;
        let count = sent.len();
        let now = relay.clock.now();
        let recorded = relay
            .db
            .run(move |c| outbox::mark_sent(c, &sent, transport.as_str(), keep, now))
            .await;
        if let Err(e) = recorded {
            // The leases run out and the messages go again, with the same Message-IDs.
            tracing::warn!(error = %e, messages = count, "outbox: cannot record deliveries");
        }
    }
    tried
}

/// Sends one message, in a span that continues the trace of whatever queued it. Returns its id
/// when it was delivered (recorded with the rest of the batch); a failure is recorded here.
async fn deliver(relay: &Relay, row: outbox::OutboxRow) -> Option<i64> {
    let span = tracing::info_span!(
        "outbox.deliver",
        otel.kind = "producer",
        otel.status_code = tracing::field::Empty,
        outbox.id = row.id,
        outbox.kind = %row.kind,
        outbox.attempt = row.attempts,
        link.id = row.link_id.as_deref(),
        outcome = tracing::field::Empty,
    );
    crate::telemetry::continue_trace(&span, row.traceparent.as_deref());
    let sent = send(relay, row).instrument(span.clone()).await;
    span.record(
        "outcome",
        if sent.is_some() {
            "delivered"
        } else {
            "not_delivered"
        },
    );
    if sent.is_none() {
        span.record("otel.status_code", "error");
    }
    sent
}

async fn send(relay: &Relay, row: outbox::OutboxRow) -> Option<i64> {
    let id = row.id;
    let settings = &relay.settings;
    // The transport's timeout applies per SMTP command; this bounds the whole conversation.
    let limit = StdDuration::from_secs(settings.smtp_timeout_secs * SEND_TIMEOUTS);
    let outcome = match build(relay, &row) {
        Ok(message) => tokio::time::timeout(limit, relay.mailer.send(message))
            .await
            .unwrap_or_else(|_| {
                Err(mail::SendError {
                    permanent: false,
                    detail: format!("no answer within {} s", limit.as_secs()),
                })
            }),
        Err(e) => Err(mail::SendError {
            permanent: true,
            detail: format!("{e:#}"),
        }),
    };
    let result = match outcome {
        Ok(()) => {
            metrics::counter!("wiselink_emails_sent_total", "kind" => row.kind.clone())
                .increment(1);
            tracing::info!(
                transport = relay.mailer.transport().as_str(),
                "email delivered"
            );
            return Some(id);
        }
        Err(e) if row.attempts >= settings.max_attempts => {
            metrics::counter!("wiselink_emails_failed_total", "kind" => row.kind.clone())
                .increment(1);
            tracing::error!(error = %e, "email given up after the last attempt");
            let detail = e.detail;
            relay
                .db
                .run(move |c| outbox::mark_failed(c, id, &detail))
                .await
        }
        Err(e) => {
            let wait = backoff(
                settings.retry_base_ms,
                settings.retry_max_secs,
                row.attempts,
            );
            metrics::counter!("wiselink_email_retries_total", "kind" => row.kind.clone())
                .increment(1);
            tracing::warn!(error = %e, permanent = e.permanent, retry_in_ms = wait.num_milliseconds(), "email not delivered; will retry");
            let detail = e.detail;
            let retry_at = relay.clock.now() + wait;
            relay
                .db
                .run(move |c| outbox::mark_retry(c, id, &detail, retry_at))
                .await
        }
    };
    if let Err(e) = result {
        // The lease runs out and another pass retries; the same Message-ID goes out again.
        tracing::warn!(error = %e, "outbox: cannot record a delivery attempt");
    }
    None
}

fn build(relay: &Relay, row: &outbox::OutboxRow) -> anyhow::Result<lettre::Message> {
    let rendered = outbox_service::open(&relay.keys, row)?;
    let date = SystemTime::from(row.created_at.and_utc());
    Ok(mail::build(
        &relay.mail_from,
        &row.recipient,
        &row.message_id,
        date,
        &rendered,
    )?)
}

/// Wait before attempt `attempt + 1`: half of base × 2^(attempt-1) plus up to as much again at
/// random, capped at `max_secs`.
fn backoff(base_ms: u64, max_secs: u64, attempt: i32) -> Duration {
    let exp = base_ms.saturating_mul(1u64 << attempt.clamp(1, 30).saturating_sub(1) as u32);
    let capped = exp.min(max_secs * 1000);
    let half = capped / 2;
    let jitter = rand::rng().random_range(0..=half);
    Duration::milliseconds((half + jitter) as i64)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_within_jitter_and_stops_at_the_cap() {
        for attempt in 1..=40 {
            let want = (2_000u64 << (attempt - 1).min(20)).min(900_000);
            let got = backoff(2_000, 900, attempt).num_milliseconds() as u64;
            assert!(
                (want / 2..=want).contains(&got),
                "attempt {attempt}: {got} vs {want}"
            );
        }
    }
}
