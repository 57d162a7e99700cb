//! Resolves links that a crash, a lost answer or a Wise outage left in `pending`, `exchanging` or
//! `verifying`. Each stale link is claimed with a compare-and-set on `updated_at`, so any number
//! of instances sharing one PostgreSQL can run this loop and no link is handled twice at once.

use crate::db::{self, links};
use crate::services::links as link_service;
use crate::state::AppState;
use chrono::Duration;
use std::time::Duration as StdDuration;

const BATCH: i64 = 50;

/// Runs forever: one pass every `workers.recovery_interval_ms`.
pub async fn run(state: AppState) {
    let every = StdDuration::from_millis(state.settings.workers.recovery_interval_ms);
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        run_once(&state).await;
    }
}

/// One pass. Returns how many links it moved on.
pub async fn run_once(state: &AppState) -> usize {
    let stale_after =
        Duration::seconds(i64::from(state.settings.workers.recovery_stale_after_secs));
    let before = db::now() - stale_after;
    let stale = match state
        .db
        .run(move |conn| links::stale_in_flight(conn, before, BATCH))
        .await
    {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "recovery: cannot read stale links");
            return 0;
        }
    };
    let mut resolved = 0;
    for link in stale {
        let candidate = link.clone();
        match state
            .db
            .run(move |conn| links::claim(conn, &candidate, db::now()))
            .await
        {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "recovery: cannot claim a link");
                continue;
            }
        }
        // The claim moved `updated_at`; carry on from the claimed row.
        let id = link.id.clone();
        let Ok(Some(claimed)) = state.db.run(move |conn| links::find(conn, &id)).await else {
            continue;
        };
        let from = claimed.state();
        match link_service::recover(state, claimed).await {
            Ok(to) if to != from => {
                resolved += 1;
                tracing::info!(link.id = %link.id, from = %from, to = %to, "recovered link");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::info!(link.id = %link.id, state = %from, error = %e, "recovery will retry later")
            }
        }
    }
    resolved
}
