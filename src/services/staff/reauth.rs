//! Asking a signed-in staff member for their password again — before an approval, and before
//! adding staff or creating API keys — throttled like a sign-in, so it is no password oracle.

use super::StaffService;
use super::session::{LoginError, StaffSession};
use crate::db::staff;
use chrono::Duration;
use secrecy::SecretString;

/// What typing the password again came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reauth {
    Confirmed,
    /// Wrong; `left` more wrong ones end the session.
    Wrong {
        left: i32,
    },
    /// The account waits out earlier failures: nothing was checked.
    Waiting,
    /// Too many wrong passwords: the session has ended.
    SessionEnded,
}

impl StaffService {
    /// Whether the password was typed recently enough for an approval.
    pub fn recently_authenticated(&self, session: &StaffSession) -> bool {
        self.clock.now() - session.authenticated_at
            < Duration::minutes(self.settings.reauth_minutes)
    }

    /// Asks for the password again (before an approval, or creating staff accounts and API
    /// keys); records the outcome. The sign-in delay applies: while the account waits nothing is
    /// checked. A wrong password counts toward that delay, and `staff.reauth_failures_allowed`
    /// of them end the session; the right one forgets every failure.
    pub async fn reauthenticate(
        &self,
        session: &StaffSession,
        password: &SecretString,
    ) -> Result<Reauth, LoginError> {
        let username = session.username.clone();
        let lookup = username.clone();
        let row = self.db.run(move |conn| staff::find(conn, &lookup)).await?;
        let matched = self
            .verify_password(password, row.as_ref().map(|r| r.password_hash.as_str()))
            .await?;
        let now = self.clock.now();
        if row.as_ref().is_none_or(|r| self.must_wait(r, now)) {
            let audited = username.clone();
            let audit = self.audit.clone();
            self.db
                .run(move |conn| {
                    staff::audit(
                        conn,
                        &audit,
                        &audited,
                        "reauthentication_waiting",
                        None,
                        None,
                        now,
                    )
                })
                .await?;
            return Ok(Reauth::Waiting);
        }
        let (hash, staff_id) = (session.id_hash.clone(), session.staff_id);
        let allowed = self.settings.reauth_failures_allowed;
        let audit = self.audit.clone();
        self.db
            .run(move |conn| {
                if matched {
                    staff::touch(conn, &hash, now, true)?;
                    staff::audit(conn, &audit, &username, "reauthenticated", None, None, now)?;
                    return Ok(Reauth::Confirmed);
                }
                let failures = staff::record_reauth_failure(conn, &hash, staff_id, now)?;
                staff::audit(
                    conn,
                    &audit,
                    &username,
                    "reauthentication_failed",
                    None,
                    None,
                    now,
                )?;
                if failures < allowed {
                    return Ok(Reauth::Wrong {
                        left: allowed - failures,
                    });
                }
                staff::end_session(conn, &hash)?;
                staff::audit(
                    conn,
                    &audit,
                    &username,
                    "session_ended_reauth_failures",
                    None,
                    None,
                    now,
                )?;
                Ok(Reauth::SessionEnded)
            })
            .await
            .map_err(LoginError::from)
    }
}
