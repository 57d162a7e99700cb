//! Reading links, the rule for which link a session token opens, and unlinking.

use super::secrets::{SESSION_PREFIX, session_hash};
use super::{LinkError, LinkService, wiped};
use crate::db::DbError;
use crate::db::links::{
    self, CustomerLink, EventRow, LinkChanges, LinkRow, ListFilter, Transition,
};
use crate::domain::{LinkEvent, LinkId};

impl LinkService {
    pub async fn find(&self, id: &LinkId) -> Result<LinkRow, LinkError> {
        self.reload(id).await
    }

    /// `link` with its customer's reference.
    pub async fn with_customer(&self, link: LinkRow) -> Result<CustomerLink, LinkError> {
        let customer = self.customer_of(&link).await?;
        Ok(CustomerLink {
            link,
            customer_ref: customer.customer_ref,
        })
    }

    /// The link a session token opens: the token's link while its code window lasts, and for the
    /// policy's grace period after (so a customer can still read how it ended). The same rule for
    /// the app and the page.
    pub async fn open_session(&self, token: &str) -> Result<Option<LinkRow>, DbError> {
        if !token.starts_with(SESSION_PREFIX) {
            return Ok(None);
        }
        let hash = session_hash(token);
        let link = self
            .db
            .run(move |conn| links::find_by_session(conn, &hash))
            .await?;
        let (now, grace) = (self.clock.now(), self.policy.session_grace);
        Ok(link.filter(|l| l.code_expires_at.is_some_and(|t| t + grace > now)))
    }

    /// The audit trail of a link, oldest first.
    pub async fn events(&self, id: &LinkId) -> Result<Vec<EventRow>, LinkError> {
        self.reload(id).await?;
        let id = id.clone();
        Ok(self.db.run(move |conn| links::events(conn, &id)).await?)
    }

    pub async fn list(&self, filter: ListFilter) -> Result<Vec<CustomerLink>, LinkError> {
        Ok(self.db.run(move |conn| links::list(conn, &filter)).await?)
    }

    /// Unlinks: the tokens, the registration code and the session are destroyed.
    pub async fn unlink(&self, id: &LinkId, actor: &str) -> Result<LinkRow, LinkError> {
        let link = self.reload(id).await?;
        let changes = LinkChanges {
            registration_code: Some(None),
            ..wiped()
        };
        let t = Transition::new(
            id,
            link.state,
            LinkEvent::Unlinked,
            actor,
            "unlinked by the partner",
        )
        .changes(changes);
        let link = self.apply(t).await?;
        tracing::info!(link.id = %id, "link unlinked");
        Ok(link)
    }
}
