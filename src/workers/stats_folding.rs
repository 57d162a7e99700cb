//! Once an hour (by the service's clock), the funnel's counts of days that can no longer change
//! (before yesterday, UTC) are folded into one shard (`db::stats::fold_shards`), so the Insights
//! page and `GET /v1/stats` read an eighth of the rows over a long span.

use super::Stop;
use crate::clock::SharedClock;
use crate::db::Db;
use crate::db::stats;
use chrono::Duration;

pub async fn run(db: Db, clock: SharedClock, stop: Stop) {
    super::hourly(clock, stop, |now| {
        let db = db.clone();
        async move {
            let before = now.date() - Duration::days(1);
            match db.run(move |c| stats::fold_shards(c, before)).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(days_rows = n, "funnel counts folded"),
                Err(e) => tracing::warn!(error = %e, "cannot fold the funnel's counts"),
            }
        }
    })
    .await;
}
