//! A session started at the provider keeps the provider's word: its groups are read again with
//! the refresh token once they are older than `recheck_minutes`, and always before a form is
//! taken. No mapped group any more, a refusal, or no refresh token: the session ends. The
//! provider unreachable: the session waits (nothing is served on it) until the provider answers.

use super::refresh_aad;
use crate::db::staff::{self, SessionRow, StaffRow, sso as rows};
use crate::domain::Role;
use crate::services::staff::StaffService;
use crate::services::staff::session::{Freshness, LoginError};
use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};

use super::provider::ProviderError;

impl StaffService {
    /// The role a session started at the provider has now, or `None` when the session ended.
    pub(in crate::services::staff) async fn sso_role(
        &self,
        session: &SessionRow,
        row: &StaffRow,
        role: Role,
        freshness: Freshness,
    ) -> Result<Option<Role>, LoginError> {
        let (Some(subject), Some(provider)) = (row.sso_subject.as_deref(), self.sso.as_deref())
        else {
            // Single sign-on was turned off: accounts made by it cannot sign in any more.
            self.end_sso_session(row, "session_ended_sso_off").await?;
            return Ok(None);
        };
        let now = self.clock.now();
        let due = session
            .sso_checked_at
            .is_none_or(|at| now - at >= Duration::minutes(provider.settings().recheck_minutes));
        if freshness == Freshness::Current && !due {
            return Ok(Some(role));
        }
        let hash = session.id_hash.clone();
        let previous = session.sso_checked_at;
        if freshness == Freshness::Current {
            let claim = hash.clone();
            let claimed = self
                .db
                .run(move |conn| rows::claim_check(conn, &claim, previous, now))
                .await?;
            if !claimed {
                // Another request of this session is asking the provider right now.
                return Ok(Some(role));
            }
        }
        let row_name = hex::encode(&hash);
        let Some(token) = session.sso_refresh_token.as_deref().and_then(|sealed| {
            self.keys
                .open(sealed, refresh_aad(&row_name))
                .ok()
                .and_then(|t| String::from_utf8(t).ok())
        }) else {
            self.end_sso_session(row, "session_ended_sso_no_refresh")
                .await?;
            return Ok(None);
        };
        let identity = match provider.refresh(&SecretString::from(token), subject).await {
            Ok(identity) => identity,
            Err(ProviderError::Unavailable(reason)) => {
                let back = hash.clone();
                self.db
                    .run(move |conn| rows::unclaim_check(conn, &back, previous))
                    .await?;
                return Err(LoginError::ProviderUnavailable(reason));
            }
            Err(refused) => {
                tracing::warn!(staff.username = %row.username, error = %refused, "the identity provider no longer vouches for a session");
                self.end_sso_session(row, "session_ended_sso_refused")
                    .await?;
                return Ok(None);
            }
        };
        let Some(now_role) = provider
            .settings()
            .role_for(identity.groups.iter().map(String::as_str))
        else {
            self.end_sso_session(row, "session_ended_sso_no_role")
                .await?;
            return Ok(None);
        };
        let sealed = identity.refresh_token.as_ref().map(|t| {
            self.keys
                .seal(t.expose_secret().as_bytes(), refresh_aad(&row_name))
        });
        let (audit, username, staff_id) = (self.audit.clone(), row.username.clone(), row.id);
        let changed = now_role.as_str() != row.role;
        self.db
            .run(move |conn| {
                if let Some(sealed) = &sealed {
                    rows::checked(conn, &hash, sealed, now)?;
                }
                if changed {
                    rows::set_role(conn, staff_id, now_role.as_str(), now)?;
                    let actor = format!("sso:{}", now_role.as_str());
                    staff::audit(
                        conn,
                        &audit,
                        &username,
                        "sso_role_changed",
                        Some(&actor),
                        None,
                        now,
                    )?;
                }
                Ok::<_, crate::db::DbError>(())
            })
            .await?;
        Ok(Some(now_role))
    }

    /// Ends every session of an account the provider no longer vouches for, and records why.
    async fn end_sso_session(&self, row: &StaffRow, why: &'static str) -> Result<(), LoginError> {
        let (audit, username, id, now) = (
            self.audit.clone(),
            row.username.clone(),
            row.id,
            self.clock.now(),
        );
        self.db
            .run(move |conn| {
                staff::end_sessions_of(conn, id)?;
                staff::audit(conn, &audit, &username, why, None, None, now)
            })
            .await?;
        Ok(())
    }
}
