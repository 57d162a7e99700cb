//! Signing out, and ending one session.

use super::StaffService;
use super::session::{LoginError, StaffSession, id_hash};
use crate::db::staff;

impl StaffService {
    /// Ends one session by its id (a browser signing in again).
    pub async fn end_session(&self, id: &str) -> Result<(), LoginError> {
        let hash = id_hash(id);
        self.db
            .run(move |conn| staff::end_session(conn, &hash))
            .await?;
        Ok(())
    }

    /// Signs out: every session of the account ends. A session started at the identity provider
    /// has its refresh token revoked there; the answer is then where the browser signs out at the
    /// provider too, when the provider offers that.
    pub async fn logout(
        &self,
        session: &StaffSession,
        client_ip: Option<&str>,
    ) -> Result<Option<url::Url>, LoginError> {
        let (id, username, now) = (session.staff_id, session.username.clone(), self.clock.now());
        let ip = client_ip.map(str::to_owned);
        let audit = self.audit.clone();
        let hash = session.id_hash.clone();
        let sealed = self
            .db
            .run(move |conn| {
                let sealed = staff::session(conn, &hash)?.and_then(|(s, _)| s.sso_refresh_token);
                staff::end_sessions_of(conn, id)?;
                staff::audit(conn, &audit, &username, "logout", None, ip.as_deref(), now)?;
                Ok::<_, crate::db::DbError>(sealed)
            })
            .await?;
        match session.sso {
            Some(_) => Ok(self.sso_sign_out(&session.id_hash, sealed).await),
            None => Ok(None),
        }
    }
}
