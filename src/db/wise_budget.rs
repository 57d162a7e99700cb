//! The Wise call budget shared through PostgreSQL (`wise_call_buckets`, `wise_call_pause`): an
//! admission locks the pause row, reads what the fleet admitted in the last second and minute by
//! the database's clock (one clock for every instance), decides with the budget's own rule and
//! records what it admitted, in one transaction.

use super::{Backend, Db, DbConnection, DbError};
use crate::wise::budget::{
    BUCKET_MS, Grant, Limits, MINUTE_BUCKETS, MemoryStore, SECOND_BUCKETS, SlotStore, StoreFuture,
    Used, Want, until_next_bucket,
};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use std::sync::Arc;
use std::time::Duration;

/// [`SlotStore`] over PostgreSQL, for every instance on one database.
pub struct PgBudgetStore {
    db: Db,
}

impl PgBudgetStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(QueryableByName)]
struct Windows {
    #[diesel(sql_type = BigInt)]
    now_ms: i64,
    #[diesel(sql_type = BigInt)]
    second: i64,
    #[diesel(sql_type = BigInt)]
    minute: i64,
}

#[derive(QueryableByName)]
struct Pause {
    #[diesel(sql_type = BigInt)]
    paused_until_ms: i64,
}

const NOW_MS: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

// PostgreSQL only: the IMMEDIATE rule of `DbConnection::write_transaction` is SQLite's.
#[allow(clippy::disallowed_methods)]
fn take(conn: &mut DbConnection, limits: Limits, want: Want) -> QueryResult<Grant> {
    let DbConnection::Postgresql(pg) = conn else {
        return Err(diesel::result::Error::QueryBuilderError(
            "the shared Wise call budget needs PostgreSQL".into(),
        ));
    };
    pg.transaction(|pg| {
        // Its own statement: the reads below then see every admission committed before the lock
        // was granted.
        let pause: Pause =
            diesel::sql_query("SELECT paused_until_ms FROM wise_call_pause WHERE id = 1 FOR UPDATE")
                .get_result(pg)?;
        let w: Windows = diesel::sql_query(format!(
            "SELECT n.now_ms, \
               COALESCE((SELECT SUM(calls) FROM wise_call_buckets WHERE bucket >= n.now_ms / {BUCKET_MS} - {SECOND_BUCKETS}), 0)::BIGINT AS second, \
               COALESCE((SELECT SUM(calls) FROM wise_call_buckets WHERE bucket >= n.now_ms / {BUCKET_MS} - {MINUTE_BUCKETS}), 0)::BIGINT AS minute \
             FROM (SELECT {NOW_MS} AS now_ms) n"
        ))
        .get_result(pg)?;
        if w.now_ms < pause.paused_until_ms {
            return Ok(Grant {
                customer: 0,
                background: 0,
                retry_in: Duration::from_millis((pause.paused_until_ms - w.now_ms) as u64),
            });
        }
        let used = Used {
            second: u32::try_from(w.second).unwrap_or(u32::MAX),
            minute: u32::try_from(w.minute).unwrap_or(u32::MAX),
        };
        let (customer, background) = limits.decide(used, want);
        if customer + background > 0 {
            let bucket = w.now_ms / BUCKET_MS;
            diesel::sql_query(format!(
                "WITH gone AS (DELETE FROM wise_call_buckets WHERE bucket < $1 - {MINUTE_BUCKETS}) \
                 INSERT INTO wise_call_buckets (bucket, calls) VALUES ($1, $2) \
                 ON CONFLICT (bucket) DO UPDATE SET calls = wise_call_buckets.calls + EXCLUDED.calls"
            ))
            .bind::<BigInt, _>(bucket)
            .bind::<Integer, _>((customer + background) as i32)
            .execute(pg)?;
        }
        Ok(Grant {
            customer,
            background,
            retry_in: until_next_bucket(w.now_ms),
        })
    })
}

fn pause(conn: &mut DbConnection, wait: Duration) -> QueryResult<()> {
    let DbConnection::Postgresql(pg) = conn else {
        return Ok(());
    };
    diesel::sql_query(format!(
        "UPDATE wise_call_pause SET paused_until_ms = GREATEST(paused_until_ms, {NOW_MS} + $1) WHERE id = 1"
    ))
    .bind::<BigInt, _>(wait.as_millis() as i64)
    .execute(pg)?;
    Ok(())
}

impl SlotStore for PgBudgetStore {
    fn take(&self, limits: Limits, want: Want) -> StoreFuture<'_, Grant> {
        Box::pin(async move {
            self.db
                .run(move |conn| Ok(take(conn, limits, want)?))
                .await
                .map_err(|e: DbError| format!("{e}: {}", source(&e)))
        })
    }

    fn pause(&self, wait: Duration) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.db
                .run(move |conn| Ok(pause(conn, wait)?))
                .await
                .map_err(|e: DbError| format!("{e}: {}", source(&e)))
        })
    }
}

fn source(e: &DbError) -> String {
    std::error::Error::source(e).map_or_else(String::new, |s| s.to_string())
}

/// Where `db`'s instances count their Wise calls: PostgreSQL, shared by every instance on it; on
/// SQLite (one instance) this process's memory.
pub fn store_for(db: &Db) -> Arc<dyn SlotStore> {
    match db.backend() {
        Backend::Postgres => Arc::new(PgBudgetStore::new(db.clone())),
        Backend::Sqlite => Arc::new(MemoryStore::new()),
    }
}
