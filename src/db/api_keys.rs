use super::schema::api_keys;
use super::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A stored API key. Only a hash of the secret is kept.
#[derive(Clone, Queryable)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    pub secret_hash: Vec<u8>,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    /// `live` or `test`.
    pub mode: String,
}

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub secret_hash: &'a [u8],
    pub created_at: NaiveDateTime,
    pub mode: &'a str,
}

pub fn insert(conn: &mut DbConnection, key: &NewApiKey<'_>) -> Result<(), DbError> {
    diesel::insert_into(api_keys::table)
        .values(key)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<ApiKeyRow>, DbError> {
    Ok(api_keys::table
        .find(id)
        .first::<ApiKeyRow>(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<ApiKeyRow>, DbError> {
    Ok(api_keys::table
        .order((api_keys::created_at.asc(), api_keys::id.asc()))
        .load::<ApiKeyRow>(conn)?)
}

/// Marks the key revoked. Returns false when no live key has that id.
pub fn revoke(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<bool, DbError> {
    let n = diesel::update(api_keys::table)
        .filter(api_keys::id.eq(id))
        .filter(api_keys::revoked_at.is_null())
        .set(api_keys::revoked_at.eq(now))
        .execute(conn)?;
    Ok(n == 1)
}

/// The ids of the test keys not revoked, oldest first.
pub fn live_test_keys(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    Ok(api_keys::table
        .filter(api_keys::mode.eq("test"))
        .filter(api_keys::revoked_at.is_null())
        .order(api_keys::created_at.asc())
        .select(api_keys::id)
        .load(conn)?)
}
