//! Staff accounts, their sessions and their sign-in record.

use crate::db::schema::{staff_sessions, staff_users};
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub mod sso;
mod trail;

pub use trail::{AuditRow, audit, created_since_by, recent_audit};

/// A staff account as stored. Fields in the table's column order.
#[derive(Debug, Clone, Queryable)]
pub struct StaffRow {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub password_hash: String,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub disabled_at: Option<NaiveDateTime>,
    pub failed_logins: i32,
    pub last_failed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The identity provider's subject, for an account made by single sign-on.
    pub sso_subject: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = staff_users)]
pub struct NewStaff<'a> {
    pub username: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What an account change sets; `None` leaves a column alone.
#[derive(Default, AsChangeset)]
#[diesel(table_name = staff_users)]
pub struct StaffChanges {
    pub role: Option<String>,
    pub password_hash: Option<String>,
    pub totp_secret: Option<Option<Vec<u8>>>,
    pub totp_last_step: Option<Option<i64>>,
    pub disabled_at: Option<Option<NaiveDateTime>>,
    pub failed_logins: Option<i32>,
    pub last_failed_at: Option<Option<NaiveDateTime>>,
}

#[derive(Debug, Clone, Queryable)]
pub struct SessionRow {
    pub id_hash: Vec<u8>,
    pub staff_id: i64,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub authenticated_at: NaiveDateTime,
    pub reauth_failures: i32,
    /// The identity provider's refresh token (sealed), for a session started there.
    pub sso_refresh_token: Option<Vec<u8>>,
    /// When the provider last confirmed the session's groups.
    pub sso_checked_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, staff: &NewStaff<'_>) -> Result<(), DbError> {
    diesel::insert_into(staff_users::table)
        .values(staff)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, username: &str) -> Result<Option<StaffRow>, DbError> {
    Ok(staff_users::table
        .filter(staff_users::username.eq(username))
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<StaffRow>, DbError> {
    Ok(staff_users::table
        .order(staff_users::username.asc())
        .load(conn)?)
}

/// Changes an account and, when `end_sessions`, ends every session of it in the same
/// transaction. Returns whether the account exists.
pub fn change(
    conn: &mut DbConnection,
    username: &str,
    changes: &StaffChanges,
    end_sessions: bool,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    Ok(conn.write_transaction(|c| {
        let ids: Vec<i64> = diesel::update(staff_users::table)
            .filter(staff_users::username.eq(username))
            .set((staff_users::updated_at.eq(now), changes))
            .returning(staff_users::id)
            .get_results(c)?;
        if end_sessions {
            diesel::delete(staff_sessions::table.filter(staff_sessions::staff_id.eq_any(&ids)))
                .execute(c)?;
        }
        Ok::<_, diesel::result::Error>(!ids.is_empty())
    })?)
}

/// Whether `username` is an enabled administrator and no other is.
pub fn only_enabled_admin(conn: &mut DbConnection, username: &str) -> Result<bool, DbError> {
    let admins: Vec<String> = staff_users::table
        .select(staff_users::username)
        .filter(staff_users::role.eq("admin"))
        .filter(staff_users::disabled_at.is_null())
        .load(conn)?;
    Ok(admins == [username])
}

/// A wrong password: one more failure for the account, if it exists.
pub fn record_failure(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(staff_users::table.find(id))
        .set((
            staff_users::failed_logins.eq(staff_users::failed_logins + 1),
            staff_users::last_failed_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// How a session was signed in: with a password here, or at the identity provider (keeping its
/// sealed refresh token, if it gave one).
pub enum SignedInAt<'a> {
    Password,
    Provider { refresh_token: Option<&'a [u8]> },
}

/// A new session for a successful sign-in, and the account's failures forgotten.
pub fn start_session(
    conn: &mut DbConnection,
    staff_id: i64,
    id_hash: &[u8],
    at: SignedInAt<'_>,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let (refresh_token, checked_at) = match at {
        SignedInAt::Password => (None, None),
        SignedInAt::Provider { refresh_token } => (refresh_token, Some(now)),
    };
    Ok(conn.write_transaction(|c| {
        diesel::insert_into(staff_sessions::table)
            .values((
                staff_sessions::id_hash.eq(id_hash),
                staff_sessions::staff_id.eq(staff_id),
                staff_sessions::created_at.eq(now),
                staff_sessions::last_seen_at.eq(now),
                staff_sessions::authenticated_at.eq(now),
                staff_sessions::sso_refresh_token.eq(refresh_token),
                staff_sessions::sso_checked_at.eq(checked_at),
            ))
            .execute(c)?;
        diesel::update(staff_users::table.find(staff_id))
            .set((
                staff_users::failed_logins.eq(0),
                staff_users::last_failed_at.eq(None::<NaiveDateTime>),
            ))
            .execute(c)?;
        Ok::<_, diesel::result::Error>(())
    })?)
}

/// A session and its account.
pub fn session(
    conn: &mut DbConnection,
    id_hash: &[u8],
) -> Result<Option<(SessionRow, StaffRow)>, DbError> {
    Ok(staff_sessions::table
        .inner_join(staff_users::table)
        .filter(staff_sessions::id_hash.eq(id_hash))
        .select((staff_sessions::all_columns, staff_users::all_columns))
        .first(conn)
        .optional()?)
}

/// Marks a session used now (and, when the password was just typed again, authenticated now,
/// with the account's and the session's failures forgotten).
pub fn touch(
    conn: &mut DbConnection,
    id_hash: &[u8],
    now: NaiveDateTime,
    authenticated: bool,
) -> Result<(), DbError> {
    let session = staff_sessions::table.filter(staff_sessions::id_hash.eq(id_hash));
    if authenticated {
        conn.write_transaction(|c| {
            let ids: Vec<i64> = diesel::update(session)
                .set((
                    staff_sessions::last_seen_at.eq(now),
                    staff_sessions::authenticated_at.eq(now),
                    staff_sessions::reauth_failures.eq(0),
                ))
                .returning(staff_sessions::staff_id)
                .get_results(c)?;
            diesel::update(staff_users::table.filter(staff_users::id.eq_any(ids)))
                .set((
                    staff_users::failed_logins.eq(0),
                    staff_users::last_failed_at.eq(None::<NaiveDateTime>),
                ))
                .execute(c)?;
            Ok::<_, diesel::result::Error>(())
        })?;
    } else {
        diesel::update(session)
            .set(staff_sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(())
}

/// A wrong password in a session's re-prompt: one more failure for the account and for the
/// session. Returns the session's failures since its password was last confirmed.
pub fn record_reauth_failure(
    conn: &mut DbConnection,
    id_hash: &[u8],
    staff_id: i64,
    now: NaiveDateTime,
) -> Result<i32, DbError> {
    Ok(conn.write_transaction(|c| {
        diesel::update(staff_users::table.find(staff_id))
            .set((
                staff_users::failed_logins.eq(staff_users::failed_logins + 1),
                staff_users::last_failed_at.eq(now),
            ))
            .execute(c)?;
        let failures: Option<i32> =
            diesel::update(staff_sessions::table.filter(staff_sessions::id_hash.eq(id_hash)))
                .set(staff_sessions::reauth_failures.eq(staff_sessions::reauth_failures + 1))
                .returning(staff_sessions::reauth_failures)
                .get_result(c)
                .optional()?;
        Ok::<_, diesel::result::Error>(failures.unwrap_or(0))
    })?)
}

pub fn end_session(conn: &mut DbConnection, id_hash: &[u8]) -> Result<(), DbError> {
    diesel::delete(staff_sessions::table.filter(staff_sessions::id_hash.eq(id_hash)))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of one account.
pub fn end_sessions_of(conn: &mut DbConnection, staff_id: i64) -> Result<usize, DbError> {
    Ok(
        diesel::delete(staff_sessions::table.filter(staff_sessions::staff_id.eq(staff_id)))
            .execute(conn)?,
    )
}

/// Takes TOTP time step `step` for an account, if no later or equal step was taken: each code
/// works once. Returns whether it was taken.
pub fn take_totp_step(conn: &mut DbConnection, id: i64, step: i64) -> Result<bool, DbError> {
    let n = diesel::update(
        staff_users::table.find(id).filter(
            staff_users::totp_last_step
                .is_null()
                .or(staff_users::totp_last_step.lt(step)),
        ),
    )
    .set(staff_users::totp_last_step.eq(step))
    .execute(conn)?;
    Ok(n == 1)
}

/// Accounts with a sealed TOTP secret after `after` (by id), oldest first: `(id, username,
/// sealed)`, for key rotation.
pub fn sealed_totp_after(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, Vec<u8>)>, DbError> {
    let rows: Vec<(i64, String, Option<Vec<u8>>)> = staff_users::table
        .select((
            staff_users::id,
            staff_users::username,
            staff_users::totp_secret,
        ))
        .filter(staff_users::id.gt(after))
        .filter(staff_users::totp_secret.is_not_null())
        .order(staff_users::id.asc())
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, s)| s.map(|s| (id, name, s)))
        .collect())
}

/// Replaces an account's sealed TOTP secret only if it still holds exactly `old`.
pub fn replace_totp(
    conn: &mut DbConnection,
    id: i64,
    old: &[u8],
    new: &[u8],
) -> Result<bool, DbError> {
    let n = diesel::update(
        staff_users::table
            .filter(staff_users::id.eq(id))
            .filter(staff_users::totp_secret.eq(old)),
    )
    .set(staff_users::totp_secret.eq(new))
    .execute(conn)?;
    Ok(n == 1)
}
