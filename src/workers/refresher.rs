//! The token refresher: renews each active link's access token before it expires (when less
//! than `tokens.refresh_margin_secs` remains, spread per link), so a link keeps working for
//! years. Links are claimed in batches under their refresh lease (one `UPDATE … WHERE`, no row
//! lock held across the Wise call), so any number of instances share the work and each link is
//! refreshed by one of them at a time.

mod claim_size;

use super::Stop;
use crate::services::links::LinkService;
use claim_size::ClaimSize;
use futures_util::StreamExt;
use rand::Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// How the refresher runs (`[tokens]`).
#[derive(Debug, Clone, Copy)]
pub struct Refresher {
    pub every: Duration,
    pub batch: i64,
    pub concurrency: usize,
}

/// Runs until `stop`: a look every `every` (jittered by up to a fifth, so instances started together
/// drift apart), draining every due link before sleeping again. Each claim is sized by what this
/// instance renewed per second in its last pass ([`claim_size`]).
pub async fn run(links: Arc<LinkService>, refresher: Refresher, mut stop: Stop) {
    let mut size = ClaimSize::new(links.refresh_batch(refresher.batch));
    loop {
        let fifth = refresher.every.as_millis() as u64 / 5;
        let jitter = rand::rng().random_range(0..=fifth);
        let pause =
            refresher.every - Duration::from_millis(fifth) + Duration::from_millis(jitter * 2);
        if stop.sleep(pause).await || stop.keys_held().await {
            return;
        }
        while !stop.requested() {
            let claim = size.next();
            metrics::gauge!("wiselink_refresher_claim_links").set(claim as f64);
            let started = Instant::now();
            let claimed = pass(&links, refresher, claim, Some(&stop)).await;
            size.after(claimed, started.elapsed());
            if (claimed as i64) < claim {
                // Fewer due than claimed: none left for now.
                break;
            }
        }
    }
}

/// One batch: claims up to `batch` due links (fewer when the Wise call budget could not renew that
/// many in a few seconds) and renews them, `concurrency` at a time, as background work. Returns how
/// many it claimed.
pub async fn run_once(links: &LinkService, refresher: Refresher) -> usize {
    let batch = links.refresh_batch(refresher.batch);
    pass(links, refresher, batch, None).await
}

/// One batch; once `stop` is asked for, the links not yet started are given back (their leases
/// freed for any instance, nothing in doubt) instead of waiting for room in the budget.
async fn pass(links: &LinkService, refresher: Refresher, batch: i64, stop: Option<&Stop>) -> usize {
    crate::wise::budget::background(renew_batch(links, refresher, batch, stop)).await
}

async fn renew_batch(
    links: &LinkService,
    refresher: Refresher,
    batch: i64,
    stop: Option<&Stop>,
) -> usize {
    let claimed = match links.claim_due(batch).await {
        Ok(claimed) => claimed,
        Err(e) => {
            tracing::warn!(error = %e, "refresher could not claim due links");
            return 0;
        }
    };
    let n = claimed.len();
    let unstarted = std::sync::Mutex::new(Vec::new());
    futures_util::stream::iter(claimed)
        .for_each_concurrent(refresher.concurrency, |link| async {
            if stop.is_some_and(Stop::requested) {
                let mut unstarted = unstarted.lock().unwrap_or_else(|e| e.into_inner());
                unstarted.push((link.id.clone(), link.refresh_generation));
                return;
            }
            let id = link.id.clone();
            // Each refresh is a trace of its own: the Wise calls it makes are its children.
            let span = tracing::info_span!(
                "token.refresh",
                otel.status_code = tracing::field::Empty,
                link.id = %id,
                outcome = tracing::field::Empty,
            );
            match links.renew(link).instrument(span.clone()).await {
                Ok(renewal) => {
                    span.record("outcome", renewal.outcome());
                    metrics::counter!("wiselink_token_refreshes_total", "outcome" => renewal.outcome(), "via" => "refresher").increment(1);
                }
                Err(e) => {
                    span.record("outcome", "error");
                    span.record("otel.status_code", "error");
                    metrics::counter!("wiselink_token_refreshes_total", "outcome" => "error", "via" => "refresher").increment(1);
                    tracing::warn!(link.id = %id, error = %e, "refresh failed unexpectedly; the lease will lapse and the link be tried again");
                }
            }
        })
        .await;
    let unstarted = unstarted.into_inner().unwrap_or_else(|e| e.into_inner());
    if !unstarted.is_empty() {
        let count = unstarted.len();
        match links.release_leases(unstarted).await {
            Ok(released) => tracing::info!(released, "stopping: refresh leases given back"),
            Err(e) => {
                tracing::warn!(error = %e, count, "stopping: cannot give back refresh leases; they will lapse");
            }
        }
    }
    n
}
