//! The audit sealer: appends each committed audit row to the chain ([`crate::audit`]), within
//! about a second of its commit, and signs the chain's head as a checkpoint every
//! `audit.checkpoint_every_secs`. Every instance runs one; one at a time extends the chain (an
//! advisory lock on PostgreSQL, the write lock on SQLite), so the chain never forks.

use super::Stop;
use crate::audit::SigningKeys;
use crate::clock::SharedClock;
use crate::db::Db;
use crate::db::audit as store;
use std::sync::Arc;
use std::time::Duration;

/// Rows chained per transaction.
const BATCH: i64 = 500;
/// The pause once the queue is empty.
const PAUSE: Duration = Duration::from_secs(1);

pub async fn run(
    db: Db,
    clock: SharedClock,
    keys: Arc<SigningKeys>,
    checkpoint_every: chrono::Duration,
    mut stop: Stop,
) {
    loop {
        let now = clock.now();
        match db.run(move |c| store::seal_pending(c, BATCH, now)).await {
            Ok(n) => {
                metrics::counter!("wiselink_audit_chained_total").increment(n as u64);
                if n as i64 == BATCH && !stop.requested() {
                    continue;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot extend the audit chain"),
        }
        let keys = keys.clone();
        let signed = db
            .run(move |c| store::checkpoint_if_due(c, &keys, checkpoint_every, now))
            .await;
        match signed {
            Ok(Some(seq)) => tracing::info!(seq, "audit chain checkpoint signed"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot sign an audit chain checkpoint"),
        }
        if stop.sleep(PAUSE).await {
            return;
        }
    }
}
