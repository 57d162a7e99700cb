//! Single sign-on's rows: sign-ins on their way through the provider, the accounts the provider
//! vouches for, and what a session keeps of the provider.

use crate::db::schema::{staff_sessions, staff_sso_logins, staff_users};
use crate::db::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StaffRow;

/// A sign-in sent to the provider, as stored: the SHA-256 of its state and of its browser's
/// secret.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = staff_sso_logins)]
pub struct PendingLogin {
    pub state_hash: Vec<u8>,
    pub browser_hash: Vec<u8>,
    pub return_to: String,
    pub step_up: bool,
    pub created_at: NaiveDateTime,
}

/// Records a sign-in on its way, and forgets those started before `stale_before`.
pub fn begin(
    conn: &mut DbConnection,
    login: &PendingLogin,
    stale_before: NaiveDateTime,
) -> Result<(), DbError> {
    Ok(conn.write_transaction(|c| {
        diesel::delete(
            staff_sso_logins::table.filter(staff_sso_logins::created_at.lt(stale_before)),
        )
        .execute(c)?;
        diesel::insert_into(staff_sso_logins::table)
            .values(login)
            .execute(c)?;
        Ok::<_, diesel::result::Error>(())
    })?)
}

/// Takes the sign-in with this state: it is gone afterwards, so a state works once.
pub fn take(conn: &mut DbConnection, state_hash: &[u8]) -> Result<Option<PendingLogin>, DbError> {
    Ok(
        diesel::delete(staff_sso_logins::table.filter(staff_sso_logins::state_hash.eq(state_hash)))
            .returning(staff_sso_logins::all_columns)
            .get_result(conn)
            .optional()?,
    )
}

/// The account the provider's `subject` signed in as before.
pub fn account(conn: &mut DbConnection, subject: &str) -> Result<Option<StaffRow>, DbError> {
    Ok(staff_users::table
        .filter(staff_users::sso_subject.eq(subject))
        .first(conn)
        .optional()?)
}

/// A new account for the provider's `subject`, with no password; `None` when `username` is taken.
pub fn create_account(
    conn: &mut DbConnection,
    subject: &str,
    username: &str,
    role: &str,
    now: NaiveDateTime,
) -> Result<Option<StaffRow>, DbError> {
    Ok(conn.write_transaction(|c| {
        let taken: i64 = staff_users::table
            .filter(staff_users::username.eq(username))
            .count()
            .get_result(c)?;
        if taken > 0 {
            return Ok(None);
        }
        diesel::insert_into(staff_users::table)
            .values((
                staff_users::username.eq(username),
                staff_users::role.eq(role),
                // No password hash matches this: the account signs in only at the provider.
                staff_users::password_hash.eq(NO_PASSWORD),
                staff_users::failed_logins.eq(0),
                staff_users::created_at.eq(now),
                staff_users::updated_at.eq(now),
                staff_users::sso_subject.eq(subject),
            ))
            .execute(c)?;
        staff_users::table
            .filter(staff_users::sso_subject.eq(subject))
            .first(c)
            .optional()
    })?)
}

/// The password hash of an account that signs in at the provider: no PHC string, so no password
/// verifies against it.
pub const NO_PASSWORD: &str = "!sso";

/// Sets the role the provider's groups give now.
pub fn set_role(
    conn: &mut DbConnection,
    staff_id: i64,
    role: &str,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(staff_users::table.find(staff_id))
        .set((staff_users::role.eq(role), staff_users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Claims the session's periodic re-check: moves `sso_checked_at` from `seen` to `now`, unless
/// another request did first. Returns whether this one did.
pub fn claim_check(
    conn: &mut DbConnection,
    id_hash: &[u8],
    seen: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let session = staff_sessions::table.filter(staff_sessions::id_hash.eq(id_hash));
    let n = match seen {
        Some(at) => diesel::update(session.filter(staff_sessions::sso_checked_at.eq(at)))
            .set(staff_sessions::sso_checked_at.eq(now))
            .execute(conn)?,
        None => diesel::update(session.filter(staff_sessions::sso_checked_at.is_null()))
            .set(staff_sessions::sso_checked_at.eq(now))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// Gives a claimed re-check back (the provider could not be asked), so the next request asks.
pub fn unclaim_check(
    conn: &mut DbConnection,
    id_hash: &[u8],
    previous: Option<NaiveDateTime>,
) -> Result<(), DbError> {
    diesel::update(staff_sessions::table.filter(staff_sessions::id_hash.eq(id_hash)))
        .set(staff_sessions::sso_checked_at.eq(previous))
        .execute(conn)?;
    Ok(())
}

/// Records a re-check the provider answered: its refresh token (sealed) and when.
pub fn checked(
    conn: &mut DbConnection,
    id_hash: &[u8],
    refresh_token: &[u8],
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(staff_sessions::table.filter(staff_sessions::id_hash.eq(id_hash)))
        .set((
            staff_sessions::sso_refresh_token.eq(refresh_token),
            staff_sessions::sso_checked_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A session's id hash and its sealed refresh token.
pub type SealedRefresh = (Vec<u8>, Vec<u8>);

/// Every session's sealed refresh token, for key rotation (staff sessions are few, and
/// short-lived).
pub fn sealed_refresh_tokens(conn: &mut DbConnection) -> Result<Vec<SealedRefresh>, DbError> {
    let rows: Vec<(Vec<u8>, Option<Vec<u8>>)> = staff_sessions::table
        .select((staff_sessions::id_hash, staff_sessions::sso_refresh_token))
        .filter(staff_sessions::sso_refresh_token.is_not_null())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, sealed)| sealed.map(|s| (id, s)))
        .collect())
}

/// Replaces a session's sealed refresh token only if it still holds exactly `old`.
pub fn replace_refresh_token(
    conn: &mut DbConnection,
    id_hash: &[u8],
    old: &[u8],
    new: &[u8],
) -> Result<bool, DbError> {
    let n = diesel::update(
        staff_sessions::table
            .filter(staff_sessions::id_hash.eq(id_hash))
            .filter(staff_sessions::sso_refresh_token.eq(old)),
    )
    .set(staff_sessions::sso_refresh_token.eq(new))
    .execute(conn)?;
    Ok(n == 1)
}
