//! The event feed's retention: once an hour (by the service's clock), events older than
//! `webhooks.retention_days` are deleted with their deliveries and attempts.

use super::Stop;
use crate::clock::SharedClock;
use crate::db::Db;
use crate::db::webhooks as store;
use chrono::Duration;

pub async fn run(db: Db, clock: SharedClock, retention_days: u32, stop: Stop) {
    super::hourly(clock, stop, |now| {
        let db = db.clone();
        async move {
            let before = now - Duration::days(retention_days.into());
            match db.run(move |c| store::purge(c, before)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "events past the feed's retention deleted"),
                Err(e) => tracing::warn!(error = %e, "cannot delete events past retention"),
            }
        }
    })
    .await;
}
