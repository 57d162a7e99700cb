//! Webhook delivery: fans new events out to the endpoints subscribed to them, then attempts due
//! deliveries, each signed per the Standard Webhooks specification with the same `webhook-id` on
//! every attempt. Deliveries are leased like outbox messages, so several instances share the work
//! and a worker that dies mid-way only delays a delivery until its lease ends (the receiver may
//! then see it twice, with the same id). A link's deliveries to one endpoint go one at a time, in
//! the order its events happened.
//!
//! An attempt follows no redirect, gives up after `webhooks.timeout_secs`, keeps at most
//! [`EXCERPT_BYTES`] of the answer, and connects only to addresses the [`TargetPolicy`] allows:
//! names are resolved by [`GuardedResolver`] at every connection, so a name that moves to a
//! private address after registration is refused then.

mod resolver;
mod schedule;

pub use resolver::{GuardedResolver, guard};
pub use schedule::{RETRY_SCHEDULE_SECS, retry_wait};

use super::Stop;
use crate::clock::SharedClock;
use crate::crypto::{KeyRing, SignedHeaders};
use crate::db::Db;
use crate::db::webhooks::{self as store, Attempt, Claimed, Next, Outcome};
use crate::services::webhooks::{self as service, target::TargetPolicy};
use crate::settings::WebhookSettings;
use chrono::{Duration, NaiveDateTime};
use futures_util::StreamExt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;
use tracing::Instrument;
use url::Host;

/// At most this much of a receiver's answer is kept in the delivery log.
pub const EXCERPT_BYTES: usize = 512;

/// How long a woken worker waits for more changes before its pass.
const GATHER: StdDuration = StdDuration::from_millis(20);

/// Events given their feed position per transaction.
const DISPATCH_BATCH: i64 = 500;

/// What the worker needs.
pub struct Deliverer {
    pub db: Db,
    pub keys: Arc<KeyRing>,
    pub clock: SharedClock,
    pub settings: WebhookSettings,
    pub policy: TargetPolicy,
    pub client: reqwest::Client,
    /// Notified when a change publishes an event, or a resend queues one.
    pub wake: Arc<Notify>,
}

impl Deliverer {
    pub fn new(
        db: Db,
        keys: Arc<KeyRing>,
        clock: SharedClock,
        settings: WebhookSettings,
        policy: TargetPolicy,
        wake: Arc<Notify>,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(StdDuration::from_secs(settings.timeout_secs))
            .connect_timeout(StdDuration::from_secs(settings.timeout_secs))
            .user_agent(concat!("wiselink-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(GuardedResolver {
                policy: policy.clone(),
            })
            .build()?;
        Ok(Self {
            db,
            keys,
            clock,
            settings,
            policy,
            client,
            wake,
        })
    }
}

/// Runs until `stop`: a pass every `webhooks.delivery_interval_ms`, or at once when woken.
pub async fn run(deliverer: Arc<Deliverer>, mut stop: Stop) {
    let every = StdDuration::from_millis(deliverer.settings.delivery_interval_ms);
    loop {
        if stop.keys_held().await {
            return;
        }
        // A full pass means more may be due: go on without sleeping.
        while !stop.requested() && run_once(&deliverer).await >= deliverer.settings.concurrency {}
        tokio::select! {
            () = deliverer.wake.notified() => {
                // Under load every change wakes the worker: gather what a moment brings into one
                // pass rather than one pass (and its statements) per change.
                if stop.sleep(GATHER).await {
                    return;
                }
            }
            () = tokio::time::sleep(every) => {}
            () = stop.asked() => return,
        }
    }
}

/// One pass: dispatches every new event, then attempts a batch of due deliveries at once.
/// Returns how many deliveries it attempted.
pub async fn run_once(deliverer: &Deliverer) -> usize {
    loop {
        let now = deliverer.clock.now();
        match deliverer
            .db
            .run(move |c| store::dispatch(c, now, DISPATCH_BATCH))
            .await
        {
            Ok(n) if n as i64 == DISPATCH_BATCH => continue,
            Ok(_) => break,
            Err(e) => {
                tracing::warn!(error = %e, "webhooks: cannot dispatch new events");
                break;
            }
        }
    }
    let now = deliverer.clock.now();
    let until = now + Duration::seconds(deliverer.settings.lease_secs as i64);
    let limit = deliverer.settings.concurrency as i64;
    let claimed = match deliverer
        .db
        .run(move |c| store::claim_due(c, now, until, limit))
        .await
    {
        Ok(claimed) => claimed,
        Err(e) => {
            tracing::warn!(error = %e, "webhooks: cannot claim due deliveries");
            return 0;
        }
    };
    let tried = claimed.len();
    // Attempts run side by side; whatever has finished when the recorder is free is recorded in
    // one transaction, so a busy pass costs a few statements rather than four per delivery, and
    // a receiver that hangs delays no one else's record.
    futures_util::stream::iter(claimed)
        .map(|c| attempt_one(deliverer, c))
        .buffer_unordered(deliverer.settings.concurrency)
        .ready_chunks(deliverer.settings.concurrency)
        .for_each(|done| record(deliverer, done))
        .await;
    tried
}

/// Attempts one delivery, in a span that continues the trace that published the event.
async fn attempt_one(deliverer: &Deliverer, claimed: Claimed) -> Outcome {
    let span = tracing::info_span!(
        "webhook.deliver",
        otel.kind = "producer",
        otel.status_code = tracing::field::Empty,
        webhook.endpoint = %claimed.endpoint.id,
        event.id = %claimed.event.event_id,
        event.type = %claimed.event.event_type,
        webhook.attempt = claimed.attempts,
        link.id = %claimed.event.link_id,
        outcome = tracing::field::Empty,
    );
    crate::telemetry::continue_trace(&span, claimed.traceparent.as_deref());
    let outcome = decide(deliverer, claimed).instrument(span.clone()).await;
    span.record("outcome", outcome.next.as_str());
    if outcome.next != Next::Delivered {
        span.record("otel.status_code", "error");
    }
    outcome
}

/// Attempts one delivery and decides what follows from it.
async fn decide(deliverer: &Deliverer, claimed: Claimed) -> Outcome {
    let attempt = attempt(deliverer, &claimed).await;
    let delivered = attempt.status_code.is_some_and(|s| (200..300).contains(&s));
    let next = if delivered {
        Next::Delivered
    } else {
        match retry_wait(claimed.attempts) {
            Some(wait) => Next::RetryAt(deliverer.clock.now() + wait),
            None => Next::GiveUp,
        }
    };
    metrics::counter!("wiselink_webhook_deliveries_total", "outcome" => next.as_str()).increment(1);
    match next {
        Next::Delivered => tracing::info!(latency_ms = attempt.latency_ms, "webhook delivered"),
        Next::RetryAt(at) => tracing::warn!(
            status = attempt.status_code,
            error = attempt.error.as_deref(),
            retry_at = %at,
            "webhook not delivered; will retry"
        ),
        Next::GiveUp => tracing::error!(
            status = attempt.status_code,
            error = attempt.error.as_deref(),
            "webhook given up after the last attempt"
        ),
    }
    Outcome {
        claimed,
        attempt,
        next,
    }
}

/// Records finished attempts. If the record fails, the leases run out and the deliveries are
/// attempted again, with the same webhook-id.
async fn record(deliverer: &Deliverer, done: Vec<Outcome>) {
    let now = deliverer.clock.now();
    let disable_after = Duration::hours(deliverer.settings.disable_after_hours.into());
    match deliverer
        .db
        .run(move |c| store::record(c, &done, now, disable_after))
        .await
    {
        Ok(disabled) => {
            for endpoint in disabled {
                metrics::counter!("wiselink_webhook_endpoints_disabled_total").increment(1);
                tracing::error!(
                    webhook.endpoint = %endpoint,
                    hours = deliverer.settings.disable_after_hours,
                    "webhook endpoint disabled: every attempt has failed for too long"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "webhooks: cannot record attempts"),
    }
}

/// Sends the event once. Never fails: whatever went wrong is in the attempt.
async fn attempt(deliverer: &Deliverer, claimed: &Claimed) -> Attempt {
    let at = deliverer.clock.now();
    let started = Instant::now();
    let result = send(deliverer, claimed, at).await;
    let latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    match result {
        Ok((status, excerpt)) => Attempt {
            at,
            latency_ms,
            status_code: Some(i32::from(status)),
            error: match status {
                200..=299 => None,
                300..=399 => Some("redirect not followed".to_owned()),
                _ => Some(format!("answered {status}")),
            },
            response_excerpt: excerpt,
        },
        Err(error) => Attempt {
            at,
            latency_ms,
            status_code: None,
            error: Some(error),
            response_excerpt: None,
        },
    }
}

/// The receiver's status and the start of its answer, or why there was none.
async fn send(
    deliverer: &Deliverer,
    claimed: &Claimed,
    now: NaiveDateTime,
) -> Result<(u16, Option<String>), String> {
    let endpoint = &claimed.endpoint;
    let url = url::Url::parse(&endpoint.url).map_err(|_| "the URL does not parse".to_owned())?;
    // A name is checked by the resolver at connection; an address is checked here.
    let literal = match url.host() {
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(ip) = literal
        && !deliverer.policy.host_allowed(&ip.to_string())
        && !deliverer.policy.address_allowed(ip)
    {
        return Err(format!("address {ip} is not allowed"));
    }
    let secrets = service::secrets(&deliverer.keys, endpoint, now).map_err(|e| {
        tracing::error!(error = %e, "webhook secret unreadable");
        "the signing secret could not be read".to_owned()
    })?;
    let body = serde_json::to_vec(&service::event_json(&claimed.event))
        .map_err(|_| "the event could not be serialised".to_owned())?;
    // The receiver compares the timestamp with its own clock: the wall clock, always.
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let refs: Vec<_> = secrets.iter().collect();
    let signed = SignedHeaders::sign(&claimed.event.event_id, timestamp, &body, &refs);
    let mut request = deliverer
        .client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    for (name, value) in signed.pairs() {
        request = request.header(name, value);
    }
    let mut response = request.body(body).send().await.map_err(|e| describe(&e))?;
    let status = response.status().as_u16();
    let mut excerpt = Vec::new();
    while excerpt.len() < EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
            // The status decides; an answer cut short is no less an answer.
            Ok(None) | Err(_) => break,
        }
    }
    excerpt.truncate(EXCERPT_BYTES);
    let excerpt = String::from_utf8_lossy(&excerpt)
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>();
    Ok((status, (!excerpt.is_empty()).then_some(excerpt)))
}

/// Why a request got no answer, without its URL (which could carry the partner's own token).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "no answer in time"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}
