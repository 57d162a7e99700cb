//! Resolves links that a crash, a lost answer or a Wise outage left in `pending`, `exchanging` or
//! `verifying` (the rules are the link service's `recover`), and sends the reminders that fell
//! due (the link service's `remind_due`).

use super::Stop;
use crate::services::links::LinkService;
use chrono::Duration;
use std::sync::Arc;
use std::time::Duration as StdDuration;

/// Runs until `stop`: one pass every `every`, taking links untouched for `stale_after`.
pub async fn run(
    links: Arc<LinkService>,
    every: StdDuration,
    stale_after: Duration,
    mut stop: Stop,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = stop.asked() => return,
        }
        if stop.keys_held().await {
            return;
        }
        crate::wise::budget::background(links.recover_stale(stale_after)).await;
        if let Err(e) = links.remind_due().await {
            tracing::warn!(error = %e, "cannot send the reminders due");
        }
    }
}
