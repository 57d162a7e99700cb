use super::schema::idempotency_keys as ik;
use super::{DbConnection, DbError, is_unique_violation};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const IN_FLIGHT: &str = "in_flight";
pub const COMPLETED: &str = "completed";

#[derive(Clone, Queryable)]
pub struct IdempotencyRow {
    pub api_key_id: String,
    pub idempotency_key: String,
    pub request_fingerprint: Vec<u8>,
    pub state: String,
    pub response_status: Option<i32>,
    pub response_content_type: Option<String>,
    pub response_body: Option<Vec<u8>>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = ik)]
struct NewRow<'a> {
    api_key_id: &'a str,
    idempotency_key: &'a str,
    request_fingerprint: &'a [u8],
    state: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Claims the key for a new request. Returns the existing row instead when the key is taken.
pub fn claim(
    conn: &mut DbConnection,
    api_key_id: &str,
    key: &str,
    fingerprint: &[u8],
    now: NaiveDateTime,
) -> Result<Option<IdempotencyRow>, DbError> {
    let inserted = diesel::insert_into(ik::table)
        .values(NewRow {
            api_key_id,
            idempotency_key: key,
            request_fingerprint: fingerprint,
            state: IN_FLIGHT,
            created_at: now,
            updated_at: now,
        })
        .execute(conn);
    match inserted {
        Ok(_) => Ok(None),
        Err(e) if is_unique_violation(&e) => Ok(ik::table
            .find((api_key_id, key))
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
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let n = diesel::update(ik::table.find((&row.api_key_id, &row.idempotency_key)))
        .filter(ik::updated_at.eq(row.updated_at))
        .set((
            ik::request_fingerprint.eq(fingerprint),
            ik::state.eq(IN_FLIGHT),
            ik::response_status.eq(None::<i32>),
            ik::response_content_type.eq(None::<String>),
            ik::response_body.eq(None::<Vec<u8>>),
            ik::created_at.eq(now),
            ik::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Stores the response that later requests with the same key replay.
pub fn complete(
    conn: &mut DbConnection,
    api_key_id: &str,
    key: &str,
    status: u16,
    content_type: &str,
    body: &[u8],
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(ik::table.find((api_key_id, key)))
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
pub fn release(conn: &mut DbConnection, api_key_id: &str, key: &str) -> Result<(), DbError> {
    diesel::delete(ik::table.find((api_key_id, key)))
        .filter(ik::state.eq(IN_FLIGHT))
        .execute(conn)?;
    Ok(())
}

/// Deletes stored responses created before `cutoff`. Returns how many went.
pub fn purge_older_than(conn: &mut DbConnection, cutoff: NaiveDateTime) -> Result<usize, DbError> {
    Ok(diesel::delete(ik::table.filter(ik::created_at.lt(cutoff))).execute(conn)?)
}
