//! The event feed's retention: once an hour (by the service's clock), events older than
//! `webhooks.retention_days` are deleted with their deliveries and attempts.

use super::Stop;
use crate::clock::SharedClock;
use crate::db::Db;
use crate::db::webhooks as store;
use chrono::{Duration, NaiveDateTime};
use std::time::Duration as StdDuration;

/// How often the worker looks at the clock.
const LOOK_EVERY: StdDuration = StdDuration::from_secs(1);

pub async fn run(db: Db, clock: SharedClock, retention_days: u32, mut stop: Stop) {
    let mut last: Option<NaiveDateTime> = None;
    loop {
        let now = clock.now();
        if last.is_none_or(|at| now - at >= Duration::hours(1)) {
            let before = now - Duration::days(retention_days.into());
            match db.run(move |c| store::purge(c, before)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "events past the feed's retention deleted"),
                Err(e) => tracing::warn!(error = %e, "cannot delete events past retention"),
            }
            last = Some(now);
        }
        if stop.sleep(LOOK_EVERY).await {
            return;
        }
    }
}
