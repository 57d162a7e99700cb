//! Retention of personal data: once an hour (by the service's clock), final links that have not
//! changed for `retention.final_link_days` lose their personal data ([`crate::db::erasure`]),
//! and stored `Idempotency-Key` answers older than `idempotency.retention_hours` are deleted.
//! Every instance runs it; the work is idempotent, and each batch is one transaction that
//! re-checks what it erases.

use super::Stop;
use crate::clock::SharedClock;
use crate::db::{Db, erasure, idempotency};
use chrono::{Duration, NaiveDateTime};

/// Links erased per transaction.
const BATCH: i64 = 200;

/// How long each kind of data is kept.
#[derive(Debug, Clone, Copy)]
pub struct Periods {
    pub final_link: Duration,
    pub idempotency: Duration,
}

pub async fn run(db: Db, clock: SharedClock, periods: Periods, stop: Stop) {
    super::hourly(clock, stop, |now| pass(db.clone(), now, periods)).await;
}

async fn pass(db: Db, now: NaiveDateTime, periods: Periods) {
    let before = now - periods.final_link;
    let mut erased = 0;
    loop {
        let batch = db
            .run(move |c| erasure::erase_retained(c, before, BATCH, now))
            .await;
        match batch {
            Ok(n) => {
                erased += n;
                if n < BATCH as usize {
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
        if let Err(e) = db.run(erasure::flush_freed).await {
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
