//! The per-address request limits, counted for the whole fleet (PostgreSQL only; an SQLite
//! database serves one instance, which counts in memory). Raw SQL: the table exists on
//! PostgreSQL alone, so it is not in the shared schema.

use super::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

/// A client's current window, after counting one request in it.
#[derive(QueryableByName, Debug)]
pub struct Window {
    #[diesel(sql_type = Timestamp)]
    pub window_start: NaiveDateTime,
    #[diesel(sql_type = Integer)]
    pub requests: i32,
}

/// Counts one request from `client` against `scope` at `now`, in the client's window unless it
/// started at or before `ended_by` (then a new window starts now). One statement: concurrent
/// counts from any instance add up.
pub fn count(
    conn: &mut DbConnection,
    scope: &str,
    client: &str,
    now: NaiveDateTime,
    ended_by: NaiveDateTime,
) -> Result<Window, DbError> {
    let DbConnection::Postgresql(pg) = conn else {
        return Err(DbError::Query(diesel::result::Error::QueryBuilderError(
            "fleet-wide limits need PostgreSQL".into(),
        )));
    };
    Ok(diesel::sql_query(
        "INSERT INTO ip_limit_windows AS w (scope, client, window_start, requests) \
         VALUES ($1, $2, $3, 1) \
         ON CONFLICT (scope, client) DO UPDATE SET \
           window_start = CASE WHEN w.window_start <= $4 THEN $3 ELSE w.window_start END, \
           requests = CASE WHEN w.window_start <= $4 THEN 1 ELSE w.requests + 1 END \
         RETURNING window_start, requests",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(client)
    .bind::<Timestamp, _>(now)
    .bind::<Timestamp, _>(ended_by)
    .get_result(pg)?)
}

/// Deletes the windows that started at or before `ended_by`.
pub fn prune(conn: &mut DbConnection, ended_by: NaiveDateTime) -> Result<usize, DbError> {
    Ok(
        diesel::sql_query("DELETE FROM ip_limit_windows WHERE window_start <= $1")
            .bind::<Timestamp, _>(ended_by)
            .execute(conn)?,
    )
}
