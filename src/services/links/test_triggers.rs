//! What the test triggers (`services/test_mode.rs`) need of a link: its stored access token and
//! that token's expiry, and a refresh run now instead of at the refresher's next pass. Each runs
//! the code production runs; only the moment is the trigger's.

use super::{LinkError, LinkService};
use crate::db::links::{self, SealedColumn};
use crate::domain::LinkId;
use secrecy::SecretString;

impl LinkService {
    /// The access token the active link holds now.
    pub async fn held_access_token(&self, id: &LinkId) -> Result<SecretString, LinkError> {
        let link = self.active(id).await?;
        if link.access_token.is_none() {
            return Err(LinkError::NoTokens);
        }
        self.open_secret(&link, SealedColumn::AccessToken)
    }

    /// The link's stored access token counts as expired from now, so the next hand-out (or the
    /// refresher) renews it, as when its lifetime runs out.
    pub async fn expire_access_token(&self, id: &LinkId) -> Result<(), LinkError> {
        let (link_id, now) = (id.clone(), self.clock.now());
        let expired = self
            .db
            .run(move |conn| links::expire_access_token(conn, &link_id, now))
            .await?;
        if expired {
            Ok(())
        } else {
            self.active(id).await.and(Err(LinkError::NoTokens))
        }
    }

    /// Renews the active link's tokens now, under its refresh lease, as the refresher would at
    /// its next pass; returns the renewal's outcome (`renewed`, `relink_required`, …).
    pub async fn refresh_now(&self, id: &LinkId) -> Result<&'static str, LinkError> {
        let link = self.active(id).await?;
        let now = self.clock.now();
        let (link_id, generation, lease_until) =
            (id.clone(), link.refresh_generation, now + self.tokens.lease);
        let claimed = self
            .db
            .run(move |conn| links::claim_one(conn, &link_id, generation, now, lease_until))
            .await?
            .ok_or(LinkError::Busy)?;
        let renewal = self.renew(claimed).await?;
        metrics::counter!("wiselink_token_refreshes_total", "outcome" => renewal.outcome(), "via" => "test_trigger").increment(1);
        Ok(renewal.outcome())
    }
}
