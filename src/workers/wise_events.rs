//! Applies the Wise deliveries `POST /wise/webhooks` stored, oldest event first, and forgets
//! applied ones after `wise_webhooks.retention_days`. Every instance may run it: applying is
//! idempotent (the newest-state record and each link's own state decide what changes).

use super::Stop;
use crate::db::Db;
use crate::db::wise_events as store;
use crate::services::links::LinkService;
use crate::settings::WiseWebhookSettings;
use chrono::Duration;
use std::sync::Arc;
use std::time::Duration as StdDuration;
use tokio::sync::Notify;
use tracing::Instrument;

const BATCH: i64 = 100;
/// How often applied deliveries past their retention are deleted.
const PURGE_EVERY: StdDuration = StdDuration::from_secs(3600);

pub struct Applier {
    pub db: Db,
    pub links: Arc<LinkService>,
    pub settings: WiseWebhookSettings,
    pub wake: Arc<Notify>,
}

pub async fn run(applier: Arc<Applier>, mut stop: Stop) {
    let every = StdDuration::from_millis(applier.settings.process_interval_ms);
    let mut last_purge: Option<tokio::time::Instant> = None;
    loop {
        if stop.keys_held().await {
            return;
        }
        while !stop.requested() && run_once(&applier).await == BATCH as usize {}
        if last_purge.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
            purge(&applier).await;
            last_purge = Some(tokio::time::Instant::now());
        }
        tokio::select! {
            () = applier.wake.notified() => {}
            () = tokio::time::sleep(every) => {}
            () = stop.asked() => return,
        }
    }
}

/// One pass over the deliveries not applied yet, as background work. Returns how many it read.
pub async fn run_once(applier: &Applier) -> usize {
    crate::wise::budget::background(apply_pending(applier)).await
}

async fn apply_pending(applier: &Applier) -> usize {
    let pending = match applier.db.run(|c| store::pending(c, BATCH)).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read Wise's deliveries");
            return 0;
        }
    };
    let n = pending.len();
    for delivery in pending {
        let id = delivery.delivery_id.clone();
        let event_type = delivery.event_type.clone();
        let span = tracing::info_span!(
            "wise_event.apply",
            otel.status_code = tracing::field::Empty,
            wise.delivery_id = %id,
            wise.event_type = %event_type,
            outcome = tracing::field::Empty,
        );
        match applier
            .links
            .apply_wise_delivery(delivery, applier.settings.withdraw_only_days)
            .instrument(span.clone())
            .await
        {
            Ok(outcome) => {
                span.record("outcome", outcome);
                metrics::counter!("wiselink_wise_events_total", "type" => event_type, "outcome" => outcome).increment(1);
                tracing::info!(wise.delivery_id = %id, outcome, "Wise event applied");
            }
            Err(e) => {
                span.record("otel.status_code", "error");
                // Left unapplied: the next pass tries it again.
                tracing::warn!(wise.delivery_id = %id, error = %e, "cannot apply a Wise event yet");
            }
        }
    }
    n
}

async fn purge(applier: &Applier) {
    let before =
        applier.links.clock().now() - Duration::days(applier.settings.retention_days.into());
    match applier.db.run(move |c| store::purge(c, before)).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "forgot applied Wise deliveries past retention"),
        Err(e) => tracing::warn!(error = %e, "cannot purge old Wise deliveries"),
    }
}
