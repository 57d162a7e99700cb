//! The linking funnel's counts: `link_stats`, which the trigger on `link_events` keeps in the
//! transaction that writes each event (migration `…000025_link_stats` says what is counted), and
//! the review queue as it stands.

use super::schema::{link_stats, links};
use super::{DbConnection, DbError};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{count_star, min, sql};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// One count of a day, summed over the shards, and over the dimension not asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub kind: String,
    pub name: String,
    /// The flow or the language, whichever was asked for.
    pub by: String,
    pub n: i64,
}

/// Which dimension a read splits counts by.
#[derive(Debug, Clone, Copy)]
pub enum Split {
    Flow,
    Language,
}

/// Every count of the days `from..=to`, by day, kind, name and `split`.
pub fn counts(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    split: Split,
) -> Result<Vec<DayCount>, DbError> {
    use link_stats::dsl as s;
    // SUM of a BIGINT is NUMERIC on PostgreSQL: cast it back, the same text on both backends.
    let total = || sql::<BigInt>("CAST(SUM(n) AS BIGINT)");
    let within = s::link_stats.filter(s::day.between(from, to));
    let rows: Vec<(NaiveDate, String, String, String, i64)> = match split {
        Split::Flow => within
            .group_by((s::day, s::kind, s::name, s::flow))
            .select((s::day, s::kind, s::name, s::flow, total()))
            .load(conn)?,
        Split::Language => within
            .group_by((s::day, s::kind, s::name, s::language))
            .select((s::day, s::kind, s::name, s::language, total()))
            .load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(|(day, kind, name, by, n)| DayCount {
            day,
            kind,
            name,
            by,
            n,
        })
        .collect())
}

/// The links waiting in review now: how many, since when the oldest waits, and how many have
/// waited longer than each of `thresholds` (times before now, newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewQueue {
    pub waiting: i64,
    pub oldest: Option<NaiveDateTime>,
    pub older_than: Vec<i64>,
}

pub fn review_queue(
    conn: &mut DbConnection,
    thresholds: &[NaiveDateTime],
) -> Result<ReviewQueue, DbError> {
    let waiting = links::table.filter(links::state.eq("needs_review"));
    let (count, oldest): (i64, Option<NaiveDateTime>) = waiting
        .select((count_star(), min(links::updated_at)))
        .get_result(conn)?;
    let mut older_than = Vec::with_capacity(thresholds.len());
    for at in thresholds {
        older_than.push(
            waiting
                .filter(links::updated_at.lt(*at))
                .count()
                .get_result(conn)?,
        );
    }
    Ok(ReviewQueue {
        waiting: count,
        oldest,
        older_than,
    })
}

/// Folds the shards of every day before `before` into shard 0, keeping each sum, so a read of a
/// long span scans an eighth of the rows. PostgreSQL only: SQLite counts in shard 0 already. One
/// statement: a count added meanwhile, or a fold by another instance, still adds up.
pub fn fold_shards(conn: &mut DbConnection, before: NaiveDate) -> Result<usize, DbError> {
    let DbConnection::Postgresql(pg) = conn else {
        return Ok(0);
    };
    Ok(diesel::sql_query(
        "WITH moved AS ( \
           DELETE FROM link_stats WHERE day < $1 AND shard > 0 \
           RETURNING day, kind, name, flow, language, n) \
         INSERT INTO link_stats (day, kind, name, flow, language, shard, n) \
         SELECT day, kind, name, flow, language, 0, SUM(n) FROM moved \
         GROUP BY day, kind, name, flow, language \
         ON CONFLICT (day, kind, name, flow, language, shard) \
         DO UPDATE SET n = link_stats.n + EXCLUDED.n",
    )
    .bind::<diesel::sql_types::Date, _>(before)
    .execute(pg)?)
}
