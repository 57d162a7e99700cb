//! Reading links, the rule for which link a session token opens, and unlinking.

use super::secrets::{SESSION_PREFIX, session_hash};
use super::{LinkError, LinkService, wiped};
use crate::db::DbError;
use crate::db::customers::Customer;
use crate::db::links::{
    self, CustomerLink, EventRow, LinkChanges, LinkRow, ListFilter, PageLink, QueueFilter,
    QueueItem, SealedColumn, SentEmail, Transition,
};
use crate::domain::{LinkEvent, LinkId, LinkState, WiseSide};
use crate::i18n::Locale;
use chrono::NaiveDateTime;

impl LinkService {
    pub async fn find(&self, id: &LinkId) -> Result<LinkRow, LinkError> {
        self.reload(id).await
    }

    /// `link` with its customer's reference.
    pub async fn with_customer(&self, link: LinkRow) -> Result<CustomerLink, LinkError> {
        let customer_ref = self
            .stored_customer_of(&link)
            .await?
            .customer_ref()
            .to_owned();
        Ok(CustomerLink { link, customer_ref })
    }

    /// The link a session token opens: the token's link while its code window lasts, and for the
    /// policy's grace period after (so a customer can still read how it ended). The same rule for
    /// the app and the page.
    pub async fn open_session(&self, token: &str) -> Result<Option<LinkRow>, DbError> {
        let Some(hash) = session_key(token) else {
            return Ok(None);
        };
        let found = links::read_by_session(&self.db, &hash).await?;
        Ok(found
            .map(|(l, _)| l)
            .filter(|l| self.session_open(l.code_expires_at)))
    }

    /// [`Self::open_session`] for the link page's form: the link with the locale of its
    /// customer's language, in one query.
    pub async fn open_page(&self, token: &str) -> Result<Option<(LinkRow, Locale)>, DbError> {
        let Some(hash) = session_key(token) else {
            return Ok(None);
        };
        let found = links::read_by_session(&self.db, &hash).await?;
        Ok(found
            .filter(|(l, _)| self.session_open(l.code_expires_at))
            .map(|(l, language)| (l, Locale::for_language(&language))))
    }

    /// [`Self::open_page`] for showing the page: only what it shows of the link.
    pub async fn show_page(&self, token: &str) -> Result<Option<(PageLink, Locale)>, DbError> {
        let Some(hash) = session_key(token) else {
            return Ok(None);
        };
        let found = links::read_page(&self.db, &hash).await?;
        Ok(found
            .filter(|(l, _)| self.session_open(l.code_expires_at))
            .map(|(l, language)| (l, Locale::for_language(&language))))
    }

    /// Whether a link's session still opens it: its code window (until `code_expires_at`), and
    /// the grace period after.
    fn session_open(&self, code_expires_at: Option<NaiveDateTime>) -> bool {
        let (now, grace) = (self.clock.now(), self.policy.session_grace);
        code_expires_at.is_some_and(|t| t + grace > now)
    }

    /// The locale of the link's customer.
    pub async fn locale_of(&self, id: &LinkId) -> Result<Locale, DbError> {
        let id = id.clone();
        let language = self
            .db
            .run(move |conn| links::language_of(conn, &id))
            .await?;
        Ok(Locale::for_language(
            language.as_deref().unwrap_or_default(),
        ))
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

    /// One page of the staff review queue.
    pub async fn queue(&self, filter: QueueFilter) -> Result<Vec<QueueItem>, LinkError> {
        Ok(self.db.run(move |conn| links::queue(conn, &filter)).await?)
    }

    /// Links per queue state, and when the longest-waiting review began.
    pub async fn queue_depth(
        &self,
    ) -> Result<(Vec<(LinkState, i64)>, Option<NaiveDateTime>), LinkError> {
        Ok(self
            .db
            .run(|conn| Ok((links::queue_counts(conn)?, links::oldest_in_review(conn)?)))
            .await?)
    }

    /// Links per state and the state of token upkeep, for the metrics.
    pub async fn token_health(&self) -> Result<links::TokenHealth, LinkError> {
        Ok(self.db.run(links::token_health).await?)
    }

    /// The emails queued for a link: kind, status and times, never their content.
    pub async fn emails_of(&self, id: &LinkId) -> Result<Vec<SentEmail>, LinkError> {
        let id = id.clone();
        Ok(self.db.run(move |conn| links::emails_of(conn, &id)).await?)
    }

    /// The customer a link belongs to.
    pub async fn customer(&self, link: &LinkRow) -> Result<Customer, LinkError> {
        self.stored_customer_of(link).await
    }

    /// Wise's side of the link's last identity check, unsealed, if one ran.
    pub fn compared_wise(&self, link: &LinkRow) -> Result<Option<WiseSide>, LinkError> {
        let Some(sealed) = &link.checked_wise else {
            return Ok(None);
        };
        let plain = self
            .keys
            .open(sealed, super::aad(&link.id, SealedColumn::CheckedWise))
            .map_err(anyhow::Error::from)?;
        Ok(Some(
            serde_json::from_slice(&plain).map_err(anyhow::Error::from)?,
        ))
    }

    /// Unlinks: the tokens, the registration code and the session are destroyed.
    pub async fn unlink(&self, id: &LinkId, actor: &str) -> Result<LinkRow, LinkError> {
        self.unlink_because(id, actor, "unlinked by the partner", None)
            .await
    }

    /// Unlinks for `reason`, if the link is unchanged since `seen` (when given).
    pub async fn unlink_because(
        &self,
        id: &LinkId,
        actor: &str,
        reason: &str,
        seen: Option<NaiveDateTime>,
    ) -> Result<LinkRow, LinkError> {
        let link = self.reload(id).await?;
        let changes = LinkChanges {
            registration_code: Some(None),
            ..wiped()
        };
        let mut t =
            Transition::new(&link, link.state, LinkEvent::Unlinked, actor, reason).changes(changes);
        if let Some(seen) = seen {
            t = t.unchanged_since(seen);
        }
        let link = self.apply(t).await?;
        tracing::info!(link.id = %id, "link unlinked");
        Ok(link)
    }
}

/// What a session token is looked up by; `None` for a string that cannot be one.
fn session_key(token: &str) -> Option<Vec<u8>> {
    token
        .starts_with(SESSION_PREFIX)
        .then(|| session_hash(token))
}
