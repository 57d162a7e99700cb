use super::schema::idempotency_keys as ik;
use super::{DbConnection, DbError, is_unique_violation};
use crate::crypto::Aad;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const IN_FLIGHT: &str = "in_flight";
pub const COMPLETED: &str = "completed";

/// The associated data a stored body is sealed with; `row` is [`row_name`].
pub fn aad(row: &str) -> Aad<'_> {
    Aad {
        table: "idempotency_keys",
        column: "response_body",
        row,
    }
}

/// The name a stored body is bound to: its scope and key.
pub fn row_name(scope: &str, key: &str) -> String {
    format!("{scope}\n{key}")
}

#[derive(Clone, Queryable)]
pub struct IdempotencyRow {
    pub scope: String,
    pub idempotency_key: String,
    pub request_fingerprint: Vec<u8>,
    pub state: String,
    pub response_status: Option<i32>,
    pub response_content_type: Option<String>,
    pub response_body: Option<Vec<u8>>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Whom the request is about (`customer:REF` or `link:ID`), for erasure.
    pub subject: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = ik)]
struct NewRow<'a> {
    scope: &'a str,
    idempotency_key: &'a str,
    request_fingerprint: &'a [u8],
    state: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    subject: Option<&'a str>,
}

/// Claims the key for a new request. Returns the existing row instead when the key is taken.
pub fn claim(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    fingerprint: &[u8],
    subject: Option<&str>,
    now: NaiveDateTime,
) -> Result<Option<IdempotencyRow>, DbError> {
    let inserted = diesel::insert_into(ik::table)
        .values(NewRow {
            scope,
            idempotency_key: key,
            request_fingerprint: fingerprint,
            state: IN_FLIGHT,
            created_at: now,
            updated_at: now,
            subject,
        })
        .execute(conn);
    match inserted {
        Ok(_) => Ok(None),
        Err(e) if is_unique_violation(&e) => Ok(ik::table
            .find((scope, key))
            .first::<IdempotencyRow>(conn)
            .optional()?),
        Err(e) => Err(e.into()),
    }
}

/// Takes over a row whose request was abandoned or has aged out, if nobody else did first.
/// Compare-and-set on `updated_at` makes exactly one of several racing takers win.
pub fn take_over(
    conn: &mut DbConnection,
    row: &IdempotencyRow,
    fingerprint: &[u8],
    subject: Option<&str>,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let n = diesel::update(ik::table.find((&row.scope, &row.idempotency_key)))
        .filter(ik::updated_at.eq(row.updated_at))
        .set((
            ik::request_fingerprint.eq(fingerprint),
            ik::state.eq(IN_FLIGHT),
            ik::response_status.eq(None::<i32>),
            ik::response_content_type.eq(None::<String>),
            ik::response_body.eq(None::<Vec<u8>>),
            ik::created_at.eq(now),
            ik::updated_at.eq(now),
            ik::subject.eq(subject),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Stores the response (its body sealed) that later requests with the same key replay.
pub fn complete(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    status: u16,
    content_type: &str,
    body: &[u8],
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(ik::table.find((scope, key)))
        .set((
            ik::state.eq(COMPLETED),
            ik::response_status.eq(Some(i32::from(status))),
            ik::response_content_type.eq(Some(content_type)),
            ik::response_body.eq(Some(body)),
            ik::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Frees the key so that a retry runs the request again (after a server-side failure).
pub fn release(conn: &mut DbConnection, scope: &str, key: &str) -> Result<(), DbError> {
    diesel::delete(ik::table.find((scope, key)))
        .filter(ik::state.eq(IN_FLIGHT))
        .execute(conn)?;
    Ok(())
}

/// Deletes stored responses created before `cutoff`. Returns how many went.
pub fn purge_older_than(conn: &mut DbConnection, cutoff: NaiveDateTime) -> Result<usize, DbError> {
    Ok(diesel::delete(ik::table.filter(ik::created_at.lt(cutoff))).execute(conn)?)
}

/// Deletes every stored response about one of `subjects` (an erasure). Returns how many went.
pub fn forget_subjects(conn: &mut DbConnection, subjects: &[String]) -> Result<usize, DbError> {
    Ok(diesel::delete(ik::table.filter(ik::subject.eq_any(subjects))).execute(conn)?)
}

/// Stored bodies after `after` (by scope and key), for re-sealing under a new key.
pub fn sealed_after(
    conn: &mut DbConnection,
    after: &(String, String),
    limit: i64,
) -> Result<Vec<(String, String, Vec<u8>)>, DbError> {
    Ok(ik::table
        .filter(
            ik::scope
                .gt(&after.0)
                .or(ik::scope.eq(&after.0).and(ik::idempotency_key.gt(&after.1))),
        )
        .filter(ik::response_body.is_not_null())
        .order((ik::scope.asc(), ik::idempotency_key.asc()))
        .limit(limit)
        .select((
            ik::scope,
            ik::idempotency_key,
            ik::response_body.assume_not_null(),
        ))
        .load(conn)?)
}

/// Replaces a stored body if it still holds `old`. Returns whether it did.
pub fn replace_body(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    old: &[u8],
    new: &[u8],
) -> Result<bool, DbError> {
    let n = diesel::update(ik::table.find((scope, key)))
        .filter(ik::response_body.eq(old))
        .set(ik::response_body.eq(new))
        .execute(conn)?;
    Ok(n == 1)
}
