//! Handing the partner's backend a valid Wise access token for an active link.

use super::{LinkError, LinkService, unavailable, wiped};
use crate::db::links::{self, LinkRow, SealedColumn, Transition};
use crate::domain::{LinkEvent, LinkId, LinkState, WiseProfileId};
use chrono::NaiveDateTime;
use secrecy::SecretString;

/// A usable access token, when it expires, and the profile it acts for.
pub struct AccessToken {
    pub token: SecretString,
    pub expires_at: NaiveDateTime,
    pub profile_id: Option<WiseProfileId>,
}

impl LinkService {
    /// A valid access token for an active link, refreshed first when it expires within the
    /// policy's margin.
    pub async fn access_token(&self, link_id: &LinkId) -> Result<AccessToken, LinkError> {
        self.bounded(self.fresh_access_token(link_id)).await
    }

    async fn fresh_access_token(&self, link_id: &LinkId) -> Result<AccessToken, LinkError> {
        let link = self.reload(link_id).await?;
        if link.state != LinkState::Active {
            return Err(LinkError::WrongState(link.state));
        }
        if let Some(fresh) = self.usable(&link)? {
            return Ok(fresh);
        }
        let _guard = self.refresh_lock.lock().await;
        let link = self.reload(link_id).await?;
        if let Some(fresh) = self.usable(&link)? {
            return Ok(fresh);
        }
        let refresh = self.open_secret(&link, SealedColumn::RefreshToken)?;
        match self.wise.refresh(&refresh).await {
            Ok(tokens) => {
                let changes = self.token_changes(&link.id, &tokens);
                let (id, now) = (link.id.clone(), self.clock.now());
                self.db
                    .run(move |conn| links::update(conn, &id, LinkState::Active, &changes, now))
                    .await?;
                Ok(AccessToken {
                    token: tokens.access_token,
                    expires_at: crate::clock::stored(tokens.expires_at),
                    profile_id: link.wise_profile_id,
                })
            }
            Err(e) if e.is_invalid_grant() => {
                let t = Transition::new(
                    &link.id,
                    LinkState::Active,
                    LinkEvent::AccessRevoked,
                    "refresher",
                    "Wise refused the refresh token: access revoked",
                )
                .changes(wiped())
                .trace(e.trace_id());
                self.apply(t).await?;
                Err(LinkError::RelinkRequired)
            }
            Err(e) => Err(unavailable(&e)),
        }
    }

    /// The stored access token, if it outlives the refresh margin.
    fn usable(&self, link: &LinkRow) -> Result<Option<AccessToken>, LinkError> {
        let (Some(_), Some(expires_at)) = (&link.access_token, link.access_expires_at) else {
            return Ok(None);
        };
        if expires_at - self.policy.refresh_margin <= self.clock.now() {
            return Ok(None);
        }
        Ok(Some(AccessToken {
            token: self.open_secret(link, SealedColumn::AccessToken)?,
            expires_at,
            profile_id: link.wise_profile_id,
        }))
    }
}
