//! How many stored values each part of a key rotation walks: the totals its progress is
//! measured against.

use crate::db::schema::{
    idempotency_keys, links, outbox, staff_sessions, staff_users, webhook_endpoints,
};
use crate::db::{DbConnection, DbError};
use diesel::prelude::*;

/// Rows holding sealed values, per part of the walk (the same filters as the walk's reads).
pub fn links(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(links::table.count().get_result(conn)?)
}

pub fn queued_emails(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(outbox::table
        .filter(outbox::payload.is_not_null())
        .count()
        .get_result(conn)?)
}

pub fn stored_responses(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(idempotency_keys::table
        .filter(idempotency_keys::response_body.is_not_null())
        .count()
        .get_result(conn)?)
}

pub fn totp_secrets(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(staff_users::table
        .filter(staff_users::totp_secret.is_not_null())
        .count()
        .get_result(conn)?)
}

pub fn sign_in_sessions(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(staff_sessions::table
        .filter(staff_sessions::sso_refresh_token.is_not_null())
        .count()
        .get_result(conn)?)
}

pub fn webhook_endpoints(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(webhook_endpoints::table.count().get_result(conn)?)
}
