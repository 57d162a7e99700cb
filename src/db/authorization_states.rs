//! One-time `state` values of the redirect flow, stored as hashes. A state is taken once: the
//! `UPDATE … WHERE used_at IS NULL` that marks it decides between racing callbacks.

use super::schema::authorization_states as states;
use super::{DbConnection, DbError};
use crate::domain::LinkId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
pub struct StateRow {
    pub state_hash: Vec<u8>,
    pub link_id: LinkId,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub browser_hash: Option<Vec<u8>>,
    /// `authorize` or `claim`.
    pub purpose: String,
}

#[derive(Insertable)]
#[diesel(table_name = states, treat_none_as_default_value = false)]
pub struct NewState<'a> {
    pub state_hash: &'a [u8],
    pub link_id: &'a LinkId,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub browser_hash: Option<&'a [u8]>,
    pub purpose: &'a str,
}

pub fn insert(conn: &mut DbConnection, state: &NewState<'_>) -> Result<(), DbError> {
    diesel::insert_into(states::table)
        .values(state)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, hash: &[u8]) -> Result<Option<StateRow>, DbError> {
    Ok(states::table
        .filter(states::state_hash.eq(hash))
        .first::<StateRow>(conn)
        .optional()?)
}

/// Marks the state used; `false` if someone used it first.
pub fn take(conn: &mut DbConnection, hash: &[u8], now: NaiveDateTime) -> Result<bool, DbError> {
    let n = diesel::update(states::table)
        .filter(states::state_hash.eq(hash))
        .filter(states::used_at.is_null())
        .set(states::used_at.eq(now))
        .execute(conn)?;
    Ok(n == 1)
}
