//! Retention of personal data: once an hour (by the service's clock), final links that have not
//! changed for `retention.final_link_days` lose their personal data ([`crate::db::erasure`]),
//! and stored `Idempotency-Key` answers older than `idempotency.retention_hours` are deleted.
//! Every instance runs it; the work is idempotent, and each batch is one transaction that
//! re-checks what it erases.

use super::Stop;
use crate::clock::SharedClock;
use crate::db::{Db, erasure, idempotency};
use chrono::{Duration, NaiveDateTime};
use std::time::Duration as StdDuration;

/// How often the worker looks at the clock.
const LOOK_EVERY: StdDuration = StdDuration::from_secs(1);
/// Links erased per transaction.
const BATCH: i64 = 200;

/// How long each kind of data is kept.
#[derive(Debug, Clone, Copy)]
pub struct Periods {
    pub final_link: Duration,
    pub idempotency: Duration,
}

pub async fn run(db: Db, clock: SharedClock, periods: Periods, mut stop: Stop) {
    let mut last: Option<NaiveDateTime> = None;
    loop {
        let now = clock.now();
        if last.is_none_or(|at| now - at >= Duration::hours(1)) {
            pass(&db, now, periods).await;
            last = Some(now);
        }
        if stop.sleep(LOOK_EVERY).await {
            return;
        }
    }
}

async fn pass(db: &Db, now: NaiveDateTime, periods: Periods) {
    let before = now - periods.final_link;
    let mut erased = 0;
    loop {
        let batch = db
            .run(move |c| {
                let due = erasure::retention_due(c, before, BATCH)?;
                let n = erasure::erase_retained(c, &due, before, now)?;
                Ok((due.len(), n))
            })
            .await;
        match batch {
            Ok((due, n)) => {
                erased += n;
                if due < BATCH as usize {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot erase links past retention");
                break;
            }
        }
    }
    if erased > 0 {
        tracing::info!(
            links = erased,
            "personal data of final links past retention erased"
        );
        if let Err(e) = db.run(erasure::flush_erased).await {
            tracing::warn!(error = %e, "the erased pages could not be checkpointed yet");
        }
    }
    let cutoff = now - periods.idempotency;
    match db
        .run(move |c| idempotency::purge_older_than(c, cutoff))
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            deleted = n,
            "stored idempotent answers past retention deleted"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot delete stored idempotent answers"),
    }
}
