//! API keys from the admin screen: the same operations as `wiselink api-key`, recorded with the
//! admin who did them.

use super::{AccountError, StaffService};
use crate::db::staff;
use crate::services::api_keys::{self, ApiKeyError, IssuedKey, KeySummary};

impl StaffService {
    pub async fn api_keys(&self) -> Result<Vec<KeySummary>, AccountError> {
        Ok(self.db.run(api_keys::list).await?)
    }

    /// Creates a key; its token is in the answer only.
    pub async fn create_api_key(&self, name: &str, actor: &str) -> Result<IssuedKey, AccountError> {
        let (name, actor, now) = (name.to_owned(), actor.to_owned(), self.clock.now());
        let audit = self.audit.clone();
        let created = self
            .db
            .run(move |conn| {
                let key = match api_keys::create(conn, &name, api_keys::KeyMode::Live, now) {
                    Ok(key) => key,
                    Err(ApiKeyError::InvalidName) => return Ok(None),
                    Err(ApiKeyError::Db(e)) => return Err(e),
                };
                staff::audit(
                    conn,
                    &audit,
                    &format!("api_key:{}", key.id),
                    "api_key_created",
                    Some(&actor),
                    None,
                    now,
                )?;
                Ok(Some(key))
            })
            .await?;
        created.ok_or_else(|| {
            AccountError::Invalid(crate::domain::Invalid::new(
                "invalid_name",
                "a key name has 1 to 100 characters",
            ))
        })
    }

    pub async fn revoke_api_key(&self, id: &str, actor: &str) -> Result<(), AccountError> {
        let (id, actor, now) = (id.to_owned(), actor.to_owned(), self.clock.now());
        let shown = id.clone();
        let audit = self.audit.clone();
        let revoked = self
            .db
            .run(move |conn| {
                let revoked = api_keys::revoke(conn, &id, now)?;
                if revoked {
                    staff::audit(
                        conn,
                        &audit,
                        &format!("api_key:{id}"),
                        "api_key_revoked",
                        Some(&actor),
                        None,
                        now,
                    )?;
                }
                Ok(revoked)
            })
            .await?;
        if revoked {
            Ok(())
        } else {
            Err(AccountError::NotFound(format!("API key {shown}")))
        }
    }

    /// The newest rows of the sign-in record.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<staff::AuditRow>, AccountError> {
        Ok(self
            .db
            .run(move |conn| staff::recent_audit(conn, limit))
            .await?)
    }
}
